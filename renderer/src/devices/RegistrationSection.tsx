import { useEffect, useState } from 'react'
import { api, type DeviceDetails, type Failure, type RegistrationOutcome } from '../api'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { ErrorNotice, Notice } from '../components/Notice'
import { PortOptions } from '../components/PortOptions'
import { TableScroll } from '../components/TableScroll'
import { formatTime, REGISTRATION_STATE_TEXT, REGISTRATION_STATUS_TEXT } from '../format'
import { usePorts } from '../hooks'

/**
 * A device's registration: where it stands, every registration token its board received, and the
 * two actions on it: register (or refresh) the board over the cable while it is connected, and
 * revoke the registration in the registry (the next export carries it).
 */
export function RegistrationSection({
  details,
  onChanged,
}: {
  details: DeviceDetails
  onChanged: (details: DeviceDetails) => void
}): React.JSX.Element {
  const { device } = details
  const { uid } = device
  const { ports } = usePorts()
  const [portPath, setPortPath] = useState('')
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<RegistrationOutcome | null>(null)
  const [failure, setFailure] = useState<Failure | null>(null)
  const [confirmRevoke, setConfirmRevoke] = useState(false)
  const [unsupported, setUnsupported] = useState<string | null>(null)

  useEffect(() => {
    let alive = true
    void api.listBoards().then((result) => {
      const board = result.ok ? result.value.find((b) => b.id === device.boardId) : undefined
      if (alive && board && !board.offlineRegistration.supported) {
        setUnsupported(board.offlineRegistration.why)
      }
    })
    return () => {
      alive = false
    }
  }, [device.boardId])

  const status = REGISTRATION_STATUS_TEXT[device.registration.status]
  const current = device.registration.current
  const revocable = current !== null && (current.state === 'active' || current.state === 'expired')
  const held = device.registrations.some((r) => r.ackedAt !== null)

  const register = async (): Promise<void> => {
    if (!portPath || busy) return
    setBusy(true)
    setOutcome(null)
    setFailure(null)
    const result = await api.registerBoard({ uid, portPath })
    setBusy(false)
    if (!result.ok) {
      setFailure(result)
      return
    }
    setOutcome(result.value.outcome)
    onChanged(result.value.details)
  }

  const revoke = async (): Promise<void> => {
    setConfirmRevoke(false)
    setOutcome(null)
    setFailure(null)
    const result = await api.revokeRegistration({ uid })
    if (!result.ok) setFailure(result)
    else onChanged(result.value)
  }

  return (
    <section aria-labelledby="registration-heading">
      <h2 id="registration-heading">Registration</h2>
      <p>
        <span className={`pill tone-${status.tone}`}>{status.text}</span>{' '}
        {current
          ? `Registration token ${current.fingerprint}, valid until ${formatTime(current.expiresAt)}.`
          : details.approvedAt
            ? 'The board was approved but has not received a registration token yet.'
            : 'A board is registered over the cable once it is verified and approved.'}
      </p>
      {unsupported ? (
        <p className="hint">{unsupported}</p>
      ) : (
        details.approvedAt && (
          <div className="verify-bar">
            <div className="field inline">
              <label htmlFor="registration-port">Board on port</label>
              <select
                id="registration-port"
                value={portPath}
                onChange={(e) => setPortPath(e.target.value)}
              >
                <PortOptions ports={ports} />
              </select>
            </div>
            <button
              type="button"
              className="primary"
              disabled={!portPath}
              aria-disabled={busy || undefined}
              onClick={() => void register()}
            >
              {held ? 'Refresh registration' : 'Register the board'}
            </button>
            <button type="button" disabled={!revocable} onClick={() => setConfirmRevoke(true)}>
              Revoke registration…
            </button>
          </div>
        )
      )}
      {busy && (
        <Notice tone="progress" title={`Registering ${uid} over the cable…`} role="status">
          <p>FieldFlash waits for the board to show itself, then sends its registration token.</p>
        </Notice>
      )}
      {outcome && (
        <Notice
          tone={outcome.ok ? 'success' : 'warning'}
          title={
            outcome.ok
              ? `${uid} is registered: token ${outcome.registration.fingerprint}`
              : `${uid} was not registered`
          }
          role="status"
          takeFocus
        >
          <p>
            {outcome.ok
              ? `${outcome.op === 'refresh' ? 'A new registration token replaced the old one' : 'The board holds its registration token'}, valid until ${formatTime(outcome.registration.expiresAt)}.`
              : outcome.message}
          </p>
        </Notice>
      )}
      {failure && <ErrorNotice failure={failure} takeFocus />}
      {confirmRevoke && current && (
        <ConfirmDialog
          title={`Revoke the registration of ${uid}?`}
          confirmLabel="Revoke registration"
          danger
          onConfirm={() => void revoke()}
          onCancel={() => setConfirmRevoke(false)}
        >
          <p>
            Registration token {current.fingerprint} is revoked in the registry: the next export
            tells the platform to refuse it, and the broker files leave the device out. The board
            keeps it until it is registered again over the cable.
          </p>
        </ConfirmDialog>
      )}
      {device.registrations.length > 0 && (
        <TableScroll label="Registration tokens table">
          <table>
            <thead>
              <tr>
                <th scope="col">Fingerprint</th>
                <th scope="col">State</th>
                <th scope="col">Made by</th>
                <th scope="col">Issued</th>
                <th scope="col">Expires</th>
                <th scope="col">Acknowledged</th>
                <th scope="col">Board MAC</th>
              </tr>
            </thead>
            <tbody>
              {[...device.registrations].reverse().map((r) => (
                <tr key={r.fingerprint + r.issuedAt}>
                  <td className="mono">{r.fingerprint}</td>
                  <td>
                    {REGISTRATION_STATE_TEXT[r.state]}
                    {r.reason ? ` (${r.reason})` : ''}
                  </td>
                  <td>{r.origin === 'register' ? 'Registration' : 'Refresh'}</td>
                  <td>{formatTime(r.issuedAt)}</td>
                  <td>{formatTime(r.expiresAt)}</td>
                  <td>{formatTime(r.ackedAt)}</td>
                  <td className="mono">{r.mac ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  )
}
