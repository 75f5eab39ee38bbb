import { useEffect, useState } from 'react'
import { api, type ExportResult, type ExportState, type Failure } from '../api'
import { ErrorNotice, Notice } from '../components/Notice'
import { formatBytes, formatTime } from '../format'

/**
 * "Export": the signed file the platform takes in (every device, token and registration token by
 * hash, approvals, revocations; never a secret), all of it or what changed since the last export.
 * Main opens the save dialog and writes it; the site's public key is shown for the platform to pin.
 */
export function ExportPanel(): React.JSX.Element {
  const [state, setState] = useState<ExportState | null>(null)
  const [changesOnly, setChangesOnly] = useState(false)
  const [busy, setBusy] = useState(false)
  const [written, setWritten] = useState<ExportResult | null>(null)
  const [failure, setFailure] = useState<Failure | null>(null)

  const apply = (result: Awaited<ReturnType<typeof api.getExportState>>): void => {
    if (result.ok) {
      setState(result.value)
      if (result.value.last) setChangesOnly(true)
    } else setFailure(result)
  }
  useEffect(() => {
    let alive = true
    void api.getExportState().then((result) => {
      if (alive) apply(result)
    })
    return () => {
      alive = false
    }
  }, [])

  const exportNow = async (): Promise<void> => {
    if (busy) return
    setBusy(true)
    setFailure(null)
    setWritten(null)
    const result = await api.exportForPlatform({ changesOnly })
    setBusy(false)
    if (!result.ok) setFailure(result)
    else if (result.value) {
      setWritten(result.value)
      apply(await api.getExportState())
    }
  }

  const last = state?.last ?? null
  return (
    <section aria-labelledby="export-heading" className="export-panel">
      <h2 id="export-heading">Export for the platform</h2>
      <p className="muted">
        A signed file of every device, its token and registration token hashes, approvals and
        revocations — no secret — for the IoT platform to take in.
      </p>
      <fieldset>
        <legend>What to export</legend>
        <div className="segmented" role="radiogroup" aria-label="What to export">
          <label className={changesOnly ? '' : 'selected'}>
            <input
              type="radio"
              name="export-scope"
              checked={!changesOnly}
              onChange={() => setChangesOnly(false)}
            />
            Every device
          </label>
          <label className={changesOnly ? 'selected' : ''}>
            <input
              type="radio"
              name="export-scope"
              checked={changesOnly}
              disabled={!last}
              onChange={() => setChangesOnly(true)}
            />
            {last
              ? `Only what changed since the last export (${formatTime(last.at)})`
              : 'Only what changed since the last export (none yet)'}
          </label>
        </div>
      </fieldset>
      <div className="actions">
        <button
          type="button"
          className="primary"
          aria-disabled={busy || undefined}
          onClick={() => void exportNow()}
        >
          Export…
        </button>
      </div>
      {written && (
        <Notice tone="success" title="Export written" role="status" takeFocus>
          <p>
            <span className="mono">{written.path}</span>: {written.devices} device
            {written.devices === 1 ? '' : 's'}, {written.records} records,{' '}
            {formatBytes(written.bytes)}, signed in{' '}
            <span className="mono">{written.signaturePath}</span>.
          </p>
        </Notice>
      )}
      {failure && <ErrorNotice failure={failure} takeFocus />}
      {state && (
        <details>
          <summary>This site&apos;s public key (for the platform to pin)</summary>
          <p className="muted">
            SHA-256 <span className="mono">{state.publicKeySha256}</span>
          </p>
          <pre className="mono key" aria-label="Public key, PEM">
            {state.publicKeyPem}
          </pre>
        </details>
      )}
    </section>
  )
}
