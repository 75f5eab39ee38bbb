import { useEffect, useRef, useState } from 'react'
import { api, type DeviceDetails, type DeviceView, type Failure } from '../api'
import { ConsoleView } from '../components/ConsoleView'
import { Field } from '../components/Field'
import { verdictTone } from '../components/verdict'
import { useMonitor } from '../components/useMonitor'
import { FocusHeading } from '../components/Heading'
import { StatusIcon } from '../components/Icons'
import { ErrorNotice, Notice } from '../components/Notice'
import { formatTime } from '../format'
import { portLabel, usePorts } from '../hooks'
import { setTechnicianName, technicianName } from '../components/technician'

/** Step 5: the board proves its token on the console; the technician compares and approves. */
export function VerifyStep({
  device,
  portPath,
  onPort,
  onOpenDevice,
}: {
  device: DeviceView
  portPath: string | null
  onPort: (path: string) => void
  onOpenDevice: (uid: string) => void
}): React.JSX.Element {
  const { ports } = usePorts()
  const monitor = useMonitor(portPath, device.uid, true)
  const [approved, setApproved] = useState<DeviceDetails | null>(null)
  const [decisionFailure, setDecisionFailure] = useState<Failure | null>(null)
  const [expected, setExpected] = useState<string | null>(device.currentToken?.expectedCode ?? null)
  const [busy, setBusy] = useState(false)
  const consoleStateRef = useRef<HTMLParagraphElement>(null)
  const verdictRef = useRef<HTMLDivElement>(null)
  // An approval records who made it: the technician's saved name, or the one typed here.
  const [approverName, setApproverName] = useState(technicianName)
  const [nameMissing, setNameMissing] = useState(false)
  const nameRef = useRef<HTMLInputElement>(null)

  useEffect(() => {
    void api.getDevice({ uid: device.uid }).then((r) => {
      if (r.ok) setExpected(r.value.device.currentToken?.expectedCode ?? null)
    })
  }, [device.uid])

  const v = monitor.verification
  const verdict = v?.verdict ?? null
  const canApprove =
    verdict?.verified === true &&
    v?.operationId !== null &&
    v?.operationState === 'pending' &&
    !approved

  const decide = async (approve: boolean): Promise<void> => {
    if (!v?.operationId || busy) return
    const approver = approverName.trim()
    if (approve && approver === '') {
      setNameMissing(true)
      nameRef.current?.focus()
      return
    }
    if (approve) setTechnicianName(approver)
    setBusy(true)
    setDecisionFailure(null)
    const result = approve
      ? await api.approveOperation({ uid: device.uid, operationId: v.operationId, approver })
      : await api.rejectOperation({
          uid: device.uid,
          operationId: v.operationId,
          approver: approver || undefined,
          reason: verdict ? `${verdict.headline} (${verdict.classification})` : undefined,
        })
    setBusy(false)
    if (!result.ok) {
      setDecisionFailure(result)
      return
    }
    if (approve) setApproved(result.value)
    else {
      // The buttons are disabled from now on: the focus moves to the verdict, which says so.
      verdictRef.current?.focus()
      monitor.setVerification({ ...v, operationState: 'rejected' })
    }
  }

  const port = ports?.find((p) => p.path === portPath) ?? null
  const seenCode = verdict?.seenCode ?? null
  const expectedCode = verdict?.expectedCode ?? expected

  return (
    <section aria-labelledby="verify-step-heading" className="step">
      <FocusHeading level={2} id="verify-step-heading">
        Verify {device.uid} on its serial console
      </FocusHeading>

      <div className="verify-bar">
        <div className="field inline">
          <label htmlFor="verify-port">Port</label>
          <select id="verify-port" value={portPath ?? ''} onChange={(e) => onPort(e.target.value)}>
            <option value="" disabled>
              Choose the port
            </option>
            {portPath && !port && <option value={portPath}>{portPath} (not connected)</option>}
            {ports?.map((p) => (
              <option key={p.path} value={p.path}>
                {portLabel(p)}
              </option>
            ))}
          </select>
        </div>
        <p className="port-state" role="status" ref={consoleStateRef} tabIndex={-1}>
          Console: {monitor.state === 'open' ? `listening on ${monitor.path}` : monitor.state}
        </p>
        <button
          type="button"
          disabled={monitor.state !== 'open'}
          onClick={() => void monitor.reset()}
        >
          Restart the board
        </button>
        {(monitor.state === 'closed' || monitor.state === 'idle') && portPath && (
          <button
            type="button"
            className="primary"
            onClick={() => {
              // The button goes once the console opens: the focus waits on the console's state.
              consoleStateRef.current?.focus()
              void monitor.open()
            }}
          >
            Reconnect
          </button>
        )}
      </div>
      {monitor.notice && (
        <Notice tone="warning" title="Not recording every banner">
          <p>{monitor.notice}</p>
        </Notice>
      )}
      {monitor.failure && (
        <ErrorNotice failure={monitor.failure}>
          {monitor.state === 'closed' && <p>Then press Reconnect.</p>}
        </ErrorNotice>
      )}

      <div className="codes" aria-label="Verification codes">
        <div className="code-box">
          <h3>Expected code</h3>
          <p className="code mono" aria-label={`Expected code ${expectedCode ?? 'unknown'}`}>
            {expectedCode ?? '—'}
          </p>
          <p className="muted">From the token FieldFlash minted for {device.uid}</p>
        </div>
        <div
          className={`code-box${seenCode ? ` tone-${verdictTone(verdict!.classification)}` : ''}`}
        >
          <h3>Code on the board</h3>
          <p className="code mono" aria-label={`Code on the board ${seenCode ?? 'not seen yet'}`}>
            {seenCode ?? '— — — —'}
          </p>
          <p className="muted">
            {verdict
              ? `Board ${verdict.mac}, token ${verdict.fingerprint}`
              : 'Waiting for the FFBOOT line…'}
          </p>
        </div>
      </div>

      <div className="verdict" aria-live="polite" ref={verdictRef} tabIndex={-1}>
        {approved ? (
          // The action row goes: the focus moves here, "Open the device record" one Tab away.
          <Notice tone="success" title={`${device.uid} is provisioned`} large takeFocus>
            <p>
              Approved {formatTime(approved.approvedAt)}. Its one-time token is now consumed and the
              approval is in the audit log.
            </p>
            <button type="button" onClick={() => onOpenDevice(device.uid)}>
              Open the device record
            </button>
          </Notice>
        ) : monitor.bootstrapError ? (
          <Notice tone="danger" title="The firmware rejects its configuration" large>
            <p>{monitor.bootstrapError.message}</p>
          </Notice>
        ) : verdict ? (
          <Notice tone={verdictTone(verdict.classification)} title={verdict.headline} large>
            <p>{verdict.message}</p>
            <p>
              <strong>Next: </strong>
              {v?.operationState === 'rejected' ? 'Rejected and recorded. ' : ''}
              {verdict.nextStep}
            </p>
          </Notice>
        ) : monitor.state === 'open' ? (
          <Notice tone="progress" title="Listening for the board" large>
            <p>
              The board prints its code within a few seconds of starting. If nothing appears, press
              Restart the board (or the EN / RST button on it).
            </p>
          </Notice>
        ) : null}
      </div>
      {decisionFailure && <ErrorNotice failure={decisionFailure} takeFocus />}

      {!approved && (
        <div className="actions">
          <Field
            label="Approved by"
            ref={nameRef}
            value={approverName}
            autoComplete="name"
            maxLength={80}
            required
            problem={nameMissing ? 'Enter your name: an approval records who made it.' : null}
            onChange={(e) => {
              setApproverName(e.target.value)
              setNameMissing(false)
            }}
          />
          <button
            type="button"
            className="primary big"
            // Busy is not `disabled`: that would drop the focus while the approval is recorded.
            disabled={!canApprove}
            aria-disabled={busy || undefined}
            onClick={() => void decide(true)}
          >
            <StatusIcon tone="success" size={20} /> Approve — the codes match
          </button>
          <button
            type="button"
            disabled={!v?.operationId || v.operationState !== 'pending'}
            aria-disabled={busy || undefined}
            onClick={() => void decide(false)}
          >
            Reject
          </button>
          {!canApprove && (
            <p className="hint">Approve is possible only when the board shows the expected code.</p>
          )}
        </div>
      )}

      <h3 className="console-heading">Live console</h3>
      <ConsoleView
        lines={monitor.lines}
        skipped={monitor.skipped}
        label={`Serial console of ${portPath ?? 'no port'}`}
      />
    </section>
  )
}
