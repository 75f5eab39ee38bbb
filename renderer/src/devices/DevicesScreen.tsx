import { useEffect, useState } from 'react'
import { api, type DeviceSummary, type Failure } from '../api'
import { Field } from '../components/Field'
import { FocusHeading } from '../components/Heading'
import { ErrorNotice } from '../components/Notice'
import { formatTime, TOKEN_STATE_TEXT } from '../format'

/** Every device, searchable by UID or board. */
export function DevicesScreen({ onOpen }: { onOpen: (uid: string) => void }): React.JSX.Element {
  const [devices, setDevices] = useState<DeviceSummary[] | null>(null)
  const [failure, setFailure] = useState<Failure | null>(null)
  const [search, setSearch] = useState('')
  useEffect(() => {
    void api.listDevices().then((r) => (r.ok ? setDevices(r.value) : setFailure(r)))
  }, [])
  const needle = search.trim().toLowerCase()
  const shown = (devices ?? [])
    .filter((d) => !needle || d.uid.toLowerCase().includes(needle) || d.boardId.includes(needle))
    .reverse()
  return (
    <div>
      <FocusHeading>Devices</FocusHeading>
      <div className="toolbar">
        <Field
          label="Search by UID or board"
          type="search"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          aria-controls="device-table"
        />
        <p role="status" className="muted">
          {devices
            ? `${shown.length} of ${devices.length} device${devices.length === 1 ? '' : 's'}`
            : 'Loading…'}
        </p>
      </div>
      {failure && <ErrorNotice failure={failure} />}
      {devices?.length === 0 && <p>No devices yet. Start with “Provision a board”.</p>}
      {shown.length > 0 && (
        <table className="devices" id="device-table">
          <caption className="visually-hidden">Devices, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Device UID</th>
              <th scope="col">Board</th>
              <th scope="col">Status</th>
              <th scope="col">Current token</th>
              <th scope="col">Last flashed</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((d) => (
              <tr key={d.uid}>
                <th scope="row">
                  <button type="button" className="link mono" onClick={() => onOpen(d.uid)}>
                    {d.uid}
                  </button>
                </th>
                <td>{d.boardId}</td>
                <td>
                  {d.approvedAt ? (
                    <span className="pill tone-success">✓ Provisioned</span>
                  ) : d.flashCount > 0 ? (
                    <span className="pill tone-info">Flashed, not approved</span>
                  ) : (
                    <span className="pill">Not flashed</span>
                  )}
                </td>
                <td>
                  {d.currentToken
                    ? `${d.currentToken.fingerprint} · ${TOKEN_STATE_TEXT[d.currentToken.state]}`
                    : '—'}
                </td>
                <td>{formatTime(d.lastFlashAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
