import { useId, useRef, useState } from 'react'
import { api, type Failure, type RegeneratedToken } from '../api'
import { ConfirmDialog } from './ConfirmDialog'
import { ErrorNotice, Notice } from './Notice'

/** Shows a freshly regenerated token once, with what it makes outdated and how to copy it. */
export function TokenReveal({
  minted,
  onDone,
}: {
  minted: RegeneratedToken
  onDone: () => void
}): React.JSX.Element {
  const inputRef = useRef<HTMLInputElement>(null)
  const id = useId()
  const [copied, setCopied] = useState<'yes' | 'select' | null>(null)
  const copy = async (): Promise<void> => {
    inputRef.current?.select()
    try {
      await navigator.clipboard.writeText(minted.token)
      setCopied('yes')
    } catch {
      setCopied('select')
    }
  }
  return (
    <Notice tone="warning" title="New token — shown only this once" large takeFocus>
      <p>{minted.warning}</p>
      <label htmlFor={id}>PROVISIONING_TOKEN (fingerprint {minted.view.fingerprint})</label>
      <div className="token-row">
        <input
          id={id}
          ref={inputRef}
          className="mono token-value"
          readOnly
          value={minted.token}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p role="status">
        {copied === 'yes'
          ? 'Copied. Paste it into include/device_config.h.'
          : copied === 'select'
            ? 'The value is selected: press Ctrl+C (⌘C) to copy it.'
            : ''}
      </p>
      <p>
        Expected verification code after flashing:{' '}
        <strong className="mono">{minted.view.expectedCode}</strong>
      </p>
      <button type="button" onClick={onDone}>
        I have copied it — hide the token
      </button>
    </Notice>
  )
}

/** "Regenerate token only", behind a confirmation that names the consequence. */
export function RegenerateTokenButton({
  uid,
  onChanged,
}: {
  uid: string
  onChanged?: () => void
}): React.JSX.Element {
  const [confirming, setConfirming] = useState(false)
  const [minted, setMinted] = useState<RegeneratedToken | null>(null)
  const [failure, setFailure] = useState<Failure | null>(null)
  const buttonRef = useRef<HTMLButtonElement>(null)
  const run = async (): Promise<void> => {
    setConfirming(false)
    setFailure(null)
    const result = await api.regenerateToken({ uid })
    if (result.ok) setMinted(result.value)
    else setFailure(result)
    onChanged?.()
  }
  return (
    <div className="token-action">
      <button type="button" ref={buttonRef} onClick={() => setConfirming(true)}>
        Regenerate token only…
      </button>
      {confirming && (
        <ConfirmDialog
          title={`Regenerate the token of ${uid}?`}
          confirmLabel="Regenerate token"
          danger
          onConfirm={() => void run()}
          onCancel={() => setConfirming(false)}
        >
          <p>
            A new one-time token replaces the current one.{' '}
            <strong>Every local device_config.h of {uid} is then outdated</strong>: firmware built
            from it will not verify.
          </p>
          <p>
            You will see the new value once, to paste into PROVISIONING_TOKEN before rebuilding.
          </p>
        </ConfirmDialog>
      )}
      {minted && (
        <TokenReveal
          key={minted.view.fingerprint}
          minted={minted}
          onDone={() => {
            // The notice (and the focus in it) goes: back to the button that made the token.
            buttonRef.current?.focus()
            setMinted(null)
          }}
        />
      )}
      {failure && <ErrorNotice failure={failure} takeFocus />}
    </div>
  )
}
