import { useEffect, useRef, useState } from 'react'
import {
  api,
  type DeviceDetails,
  type DeviceView,
  type Failure,
  type RegistrationOutcome,
} from '../api'
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
  // After the approval the board is registered over the same console (docs/protocol.md).
  const [registration, setRegistration] = useState<'registering' | RegistrationOutcome | null>(null)
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

  const register = async (): Promise<void> => {
    const sessionId = monitor.sessionId()
    if (!sessionId) {
      setRegistration({
        ok: false,
        reason: 'closed',
        message: 'The console is closed. Reconnect, then register the board again.',
        fingerprint: null,
      })
      return
    }
    setRegistration('registering')
    const result = await api.registerBoard({ uid: device.uid, sessionId })
    if (!result.ok) {
      setRegistration({
        ok: false,
        reason: result.code,
        message: result.message,
        fingerprint: null,
      })
      return
    }
    setApproved(result.value.details)
    setRegistration(result.value.outcome)
  }

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
    if (approve) {
      setApproved(result.value)
      void register()
    } else {
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
          // One notice throughout (registering, then its outcome), so the focus stays on it.
          <Notice
            tone={registrationTone(registration)}
            title={registrationTitle(device.uid, registration)}
            large
            takeFocus
          >
            <p>
              Approved {formatTime(approved.approvedAt)}. Its one-time token is now consumed and the
              approval is in the audit log.
            </p>
            <RegistrationText registration={registration} />
            <div className="actions">
              <button type="button" onClick={() => onOpenDevice(device.uid)}>
                Open the device record
              </button>
              {registration !== 'registering' &&
                registration?.ok === false &&
                registration.reason !== 'unsupported' && (
                  <button type="button" onClick={() => void register()}>
                    Register again
                  </button>
                )}
            </div>
          </Notice>
        ) : monitor.registered && !verdict ? (
          <Notice
            tone={monitor.registered.holds ? 'success' : 'warning'}
            title={
              monitor.registered.holds
                ? `${monitor.registered.uid} is registered`
                : `${monitor.registered.uid}: registration not recognised`
            }
            large
          >
            <p>{monitor.registered.message}</p>
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

type Registration = 'registering' | RegistrationOutcome | null

function registrationTone(r: Registration): 'progress' | 'success' | 'warning' {
  if (r === null || r === 'registering') return 'progress'
  return r.ok || r.reason === 'unsupported' ? 'success' : 'warning'
}

function registrationTitle(uid: string, r: Registration): string {
  if (r === null || r === 'registering') return `${uid} is provisioned — registering it…`
  if (r.ok) return `${uid} is provisioned and registered`
  if (r.reason === 'unsupported') return `${uid} is provisioned`
  return `${uid} is provisioned, but not registered`
}

/** What the registration over the cable came to, in words. */
function RegistrationText({ registration: r }: { registration: Registration }): React.JSX.Element {
  if (r === null || r === 'registering') {
    return (
      <p>
        FieldFlash is sending the board its registration token over the cable; the board answers
        within seconds.
      </p>
    )
  }
  if (r.ok) {
    return (
      <p>
        The board holds registration token{' '}
        <span className="mono">{r.registration.fingerprint}</span>, valid until{' '}
        {formatTime(r.registration.expiresAt)}. From now on it shows its registration instead of a
        code.
      </p>
    )
  }
  return <p>{r.message}</p>
}
