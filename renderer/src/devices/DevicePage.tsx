import { useCallback, useEffect, useState } from 'react'
import { api, type AuditEntry, type DeviceDetails, type Failure } from '../api'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { FocusHeading } from '../components/Heading'
import { ErrorNotice, Notice } from '../components/Notice'
import { RegenerateTokenButton } from '../components/TokenActions'
import { TableScroll } from '../components/TableScroll'
import { formatTime, TOKEN_ORIGIN_TEXT, TOKEN_STATE_TEXT } from '../format'
import { RegistrationSection } from './RegistrationSection'

type Pending = 'revoke' | 'rotate' | null

/** One device: tokens, flashes, operations and audit entries, with the actions on its credentials. */
export function DevicePage({
  uid,
  onBack,
  onProvision,
}: {
  uid: string
  onBack: () => void
  onProvision: (details: DeviceDetails) => void
}): React.JSX.Element {
  const [details, setDetails] = useState<DeviceDetails | null>(null)
  const [failure, setFailure] = useState<Failure | null>(null)
  const [pending, setPending] = useState<Pending>(null)
  const [done, setDone] = useState<string | null>(null)

  const load = useCallback(async () => {
    const result = await api.getDevice({ uid })
    if (result.ok) setDetails(result.value)
    else setFailure(result)
  }, [uid])
  useEffect(() => {
    let alive = true
    void api.getDevice({ uid }).then((result) => {
      if (!alive) return
      if (result.ok) setDetails(result.value)
      else setFailure(result)
    })
    return () => {
      alive = false
    }
  }, [uid])

  const act = async (what: Exclude<Pending, null>): Promise<void> => {
    setPending(null)
    setFailure(null)
    setDone(null)
    const result =
      what === 'revoke' ? await api.revokeToken({ uid }) : await api.rotateMqttPassword({ uid })
    if (!result.ok) setFailure(result)
    else
      setDone(
        what === 'revoke'
          ? 'Token revoked. A board carrying it will never be approved; download the template again for a new one.'
          : 'MQTT password replaced. The board gets it only from a new template: download it again, rebuild and flash.',
      )
    await load()
  }

  const device = details?.device
  const hasIssued = device?.tokens.some((t) => t.state === 'issued') ?? false
  return (
    <div className="device-page">
      <button type="button" className="link back" onClick={onBack}>
        ← All devices
      </button>
      <FocusHeading>
        Device <span className="mono">{uid}</span>
      </FocusHeading>
      {failure && <ErrorNotice failure={failure} takeFocus />}
      {done && (
        <Notice tone="success" title="Done" role="status" takeFocus>
          <p>{done}</p>
        </Notice>
      )}
      {details && device && (
        <>
          <Notice
            tone={details.approvedAt ? 'success' : 'info'}
            title={
              details.approvedAt
                ? `Provisioned ${formatTime(details.approvedAt)}`
                : 'Not provisioned yet'
            }
          >
            <p>
              Board {device.boardId}, created {formatTime(device.createdAt)}. MQTT user{' '}
              <span className="mono">{device.mqttUsername}</span>, password set{' '}
              {formatTime(device.mqttPasswordSetAt)}.
            </p>
          </Notice>
          <div className="actions">
            {!details.approvedAt && (
              <button type="button" className="primary" onClick={() => onProvision(details)}>
                Provision this device…
              </button>
            )}
            <RegenerateTokenButton uid={uid} onChanged={() => void load()} />
            <button type="button" disabled={!hasIssued} onClick={() => setPending('revoke')}>
              Revoke token…
            </button>
            <button type="button" onClick={() => setPending('rotate')}>
              Rotate MQTT password…
            </button>
          </div>
          {pending === 'revoke' && (
            <ConfirmDialog
              title={`Revoke the token of ${uid}?`}
              confirmLabel="Revoke token"
              danger
              onConfirm={() => void act('revoke')}
              onCancel={() => setPending(null)}
            >
              <p>
                A board flashed with this token can never be approved. Do this when the token was
                exposed. To go on, download the template again (it carries a new token), rebuild and
                flash.
              </p>
            </ConfirmDialog>
          )}
          {pending === 'rotate' && (
            <ConfirmDialog
              title={`Rotate the MQTT password of ${uid}?`}
              confirmLabel="Rotate password"
              danger
              onConfirm={() => void act('rotate')}
              onCancel={() => setPending(null)}
            >
              <p>
                The firmware on the board keeps the old password and will no longer connect to the
                broker once it is changed there. The new password reaches the board only inside a
                newly downloaded template.
              </p>
            </ConfirmDialog>
          )}

          <section aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">Tokens</h2>
            {device.tokens.length === 0 ? (
              <p>No token yet: download the template to mint one.</p>
            ) : (
              <TableScroll label="Tokens table">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Fingerprint</th>
                      <th scope="col">State</th>
                      <th scope="col">Made by</th>
                      <th scope="col">Issued</th>
                      <th scope="col">Expires</th>
                      <th scope="col">Ended</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...device.tokens].reverse().map((t) => (
                      <tr key={t.fingerprint + t.issuedAt}>
                        <td className="mono">{t.fingerprint}</td>
                        <td>
                          <span
                            className={`pill tone-${t.state === 'issued' ? 'info' : t.state === 'consumed' ? 'success' : 'muted'}`}
                          >
                            {TOKEN_STATE_TEXT[t.state]}
                          </span>
                        </td>
                        <td>{TOKEN_ORIGIN_TEXT[t.origin]}</td>
                        <td>{formatTime(t.issuedAt)}</td>
                        <td>{formatTime(t.expiresAt)}</td>
                        <td>{formatTime(t.endedAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            )}
          </section>

          <RegistrationSection details={details} onChanged={setDetails} />

          <section aria-labelledby="flashes-heading">
            <h2 id="flashes-heading">Flash history</h2>
            {details.flashes.length === 0 ? (
              <p>Never flashed with FieldFlash.</p>
            ) : (
              <TableScroll label="Flash history table">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Chip</th>
                      <th scope="col">MAC</th>
                      <th scope="col">Firmware</th>
                      <th scope="col">Port</th>
                    </tr>
                  </thead>
                  <tbody>
                    {details.flashes.map((f) => (
                      <tr key={f.at}>
                        <td>{formatTime(f.at)}</td>
                        <td>
                          {f.chip}, {f.flashSize}
                        </td>
                        <td className="mono">{f.mac}</td>
                        <td>
                          {f.firmwareName}{' '}
                          <span className="mono muted">{f.firmwareSha256.slice(0, 12)}</span>
                        </td>
                        <td className="mono">{f.port}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            )}
          </section>

          <section aria-labelledby="operations-heading">
            <h2 id="operations-heading">Provisioning operations</h2>
            {details.operations.length === 0 ? (
              <p>No board has shown this device&apos;s banner yet.</p>
            ) : (
              <TableScroll label="Provisioning operations table">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">First seen</th>
                      <th scope="col">Code</th>
                      <th scope="col">Board MAC</th>
                      <th scope="col">Finding</th>
                      <th scope="col">Decision</th>
                    </tr>
                  </thead>
                  <tbody>
                    {details.operations.map((op) => (
                      <tr key={op.id}>
                        <td>{formatTime(op.firstSeenAt)}</td>
                        <td className="mono">{op.code}</td>
                        <td className="mono">{op.mac}</td>
                        <td>{op.classification}</td>
                        <td>
                          {op.state === 'pending'
                            ? 'Pending'
                            : `${op.state === 'approved' ? '✓ Approved' : '✕ Rejected'} ${formatTime(op.decidedAt)}${op.approver ? ` by ${op.approver}` : ''}`}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            )}
          </section>

          <section aria-labelledby="audit-heading">
            <h2 id="audit-heading">Audit log</h2>
            <ol className="audit">
              {details.audit.map((entry, index) => (
                <li key={index}>
                  <span className="muted">{formatTime(entry.at)}</span> {describeAudit(entry)}
                </li>
              ))}
            </ol>
          </section>
        </>
      )}
    </div>
  )
}

/** One audit entry in words. */
export function describeAudit(entry: AuditEntry): string {
  switch (entry.type) {
    case 'device.created':
      return `Device created for board ${entry.boardId}`
    case 'device.flashed':
      return `Flashed on ${entry.port} (${entry.chip}, MAC ${entry.mac})`
    case 'device.approved':
      return `Device approved (token ${entry.fingerprint})`
    case 'mqtt.password_rotated':
      return 'MQTT password rotated'
    case 'token.minted':
      return `Token ${entry.fingerprint} minted (${TOKEN_ORIGIN_TEXT[entry.origin].toLowerCase()})`
    case 'token.superseded':
      return `Token ${entry.fingerprint} superseded by ${entry.supersededBy}`
    case 'token.revoked':
      return `Token ${entry.fingerprint} revoked`
    case 'token.expired':
      return `Token ${entry.fingerprint} expired`
    case 'token.consumed':
      return `Token ${entry.fingerprint} consumed`
    case 'file.removed':
      return `Outdated file removed (token ${entry.fingerprint}): ${entry.path}`
    case 'store.imported':
      return `Imported from ${entry.from}`
    case 'operation.recorded':
      return `Board ${entry.mac} showed code ${entry.code} on ${entry.port}: ${entry.classification}`
    case 'operation.approved':
      return `Operation approved${entry.approver ? ` by ${entry.approver}` : ''}`
    case 'operation.rejected':
      return `Operation rejected${entry.approver ? ` by ${entry.approver}` : ''}${entry.reason ? `: ${entry.reason}` : ''}`
    case 'registration.issued':
      return `Registration token ${entry.fingerprint} sent to the board (${entry.origin === 'refresh' ? 'refresh' : 'registration'}), valid until ${formatTime(entry.expiresAt)}`
    case 'registration.acknowledged':
      return `Board${entry.mac ? ` ${entry.mac}` : ''} acknowledged registration token ${entry.fingerprint}: registered`
    case 'registration.superseded':
      return `Registration token ${entry.fingerprint} superseded by ${entry.supersededBy}`
    case 'registration.failed':
      return `Registration token ${entry.fingerprint} did not reach the board (${entry.reason})`
    case 'registration.revoked':
      return `Registration token ${entry.fingerprint} revoked`
    case 'site.saved':
      return `Site profile saved (${entry.changed.join(', ')})`
    default:
      return (entry as { type: string }).type
  }
}
