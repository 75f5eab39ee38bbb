import { useEffect, useState } from 'react'
import { api, type DeviceView, type Failure, type TemplateDownload } from '../api'
import { FocusHeading } from '../components/Heading'
import { ErrorNotice, Notice } from '../components/Notice'
import { RegenerateTokenButton } from '../components/TokenActions'
import { formatTime, TOKEN_STATE_TEXT } from '../format'

/** Step 3: the per-device template ZIP (a fresh token each time), or a new token only. */
export function TemplateStep({
  device,
  onNext,
}: {
  device: DeviceView
  onNext: () => void
}): React.JSX.Element {
  const [view, setView] = useState<DeviceView>(device)
  const [download, setDownload] = useState<TemplateDownload | null>(null)
  const [failure, setFailure] = useState<Failure | null>(null)
  const [busy, setBusy] = useState(false)

  const refresh = async (): Promise<void> => {
    const result = await api.getDevice({ uid: device.uid })
    if (result.ok) setView(result.value.device)
  }
  useEffect(() => {
    void api.getDevice({ uid: device.uid }).then((r) => r.ok && setView(r.value.device))
  }, [device.uid])

  const save = async (): Promise<void> => {
    if (busy) return
    setBusy(true)
    setFailure(null)
    const result = await api.downloadTemplate({ uid: device.uid })
    setBusy(false)
    if (!result.ok) setFailure(result)
    else if (result.value) setDownload(result.value)
    void refresh()
  }

  const token = view.currentToken
  return (
    <section aria-labelledby="template-step-heading" className="step">
      <FocusHeading level={2} id="template-step-heading">
        Get the firmware template of {device.uid}
      </FocusHeading>
      <p className="lead">
        The template is a PlatformIO project with this device&apos;s own include/device_config.h.
        Every download carries a <strong>new one-time token</strong> and makes older downloads
        outdated.
      </p>
      <dl className="facts">
        <div>
          <dt>Device</dt>
          <dd className="mono">{view.uid}</dd>
        </div>
        <div>
          <dt>Board</dt>
          <dd>{view.boardId}</dd>
        </div>
        <div>
          <dt>Current token</dt>
          <dd>{token ? `${token.fingerprint} — ${TOKEN_STATE_TEXT[token.state]}` : 'None yet'}</dd>
        </div>
      </dl>

      {download ? (
        <Notice
          key={download.token.fingerprint}
          tone="success"
          title="Template saved"
          role="status"
          large
          takeFocus
        >
          <p>
            Saved to <span className="mono">{download.zipPath}</span> (readable only by you; do not
            share it).
          </p>
          <p>
            Token <span className="mono">{download.token.fingerprint}</span>, valid until{' '}
            {formatTime(download.token.expiresAt)}. After flashing, the board will show the code{' '}
            <strong className="mono">{download.token.expectedCode}</strong>.
          </p>
          {download.superseded && (
            <p>
              Token {download.superseded.fingerprint} is now superseded: firmware built from older
              templates will not verify.
            </p>
          )}
          <p>Next: build the project (pio run) and flash its build folder.</p>
        </Notice>
      ) : null}
      {failure && <ErrorNotice failure={failure} takeFocus />}

      <div className="actions">
        <button
          type="button"
          className={download ? '' : 'primary big'}
          // Not `disabled`: a disabled button drops the keyboard focus while the ZIP is made.
          aria-disabled={busy || undefined}
          onClick={() => void save()}
        >
          {busy
            ? 'Preparing the ZIP…'
            : download
              ? 'Download again (new token)…'
              : 'Download template ZIP…'}
        </button>
        <RegenerateTokenButton uid={device.uid} onChanged={() => void refresh()} />
      </div>
      <div className="actions">
        <button type="button" className={download ? 'primary big' : ''} onClick={onNext}>
          {download ? 'Continue to flash' : 'I already have firmware for it — go to flash'}
        </button>
      </div>
    </section>
  )
}
