import { useRef, useState } from 'react'
import type { DeviceStatus } from '../api'
import { Field } from '../components/Field'
import { FocusHeading } from '../components/Heading'
import { ErrorNotice } from '../components/Notice'
import { TableScroll } from '../components/TableScroll'
import { formatTime, REGISTRATION_STATUS_TEXT, TOKEN_STATE_TEXT } from '../format'
import { ExportPanel } from './ExportPanel'
import { useDeviceList } from '../components/useDeviceList'
import { useShowMore } from '../components/useShowMore'

const STATUS: Record<DeviceStatus, { text: string; tone: string }> = {
  new: { text: 'Not flashed', tone: '' },
  flashed: { text: 'Flashed, not approved', tone: 'tone-info' },
  verified: { text: 'Verified, awaiting approval', tone: 'tone-info' },
  approved: { text: '✓ Provisioned, not registered', tone: 'tone-info' },
  registered: { text: '✓ Registered', tone: 'tone-success' },
  revoked: { text: 'Token revoked', tone: 'tone-danger' },
}

/** The devices, newest first, a page at a time, searchable by UID. */
export function DevicesScreen({ onOpen }: { onOpen: (uid: string) => void }): React.JSX.Element {
  const [search, setSearch] = useState('')
  const { devices, total, failure, more, loadMore } = useDeviceList({ search })
  const shown = devices ?? []
  const listRef = useRef<HTMLDivElement>(null)
  const showMore = useShowMore(shown.length, loadMore, listRef, 'tbody th button')
  return (
    <div ref={listRef}>
      <FocusHeading>Devices</FocusHeading>
      <div className="toolbar">
        <Field
          label="Search by UID"
          type="search"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          aria-controls="device-table"
        />
        <p role="status" className="muted">
          {devices
            ? `${shown.length}${more ? '+' : ''} shown of ${total} device${total === 1 ? '' : 's'}`
            : 'Loading…'}
        </p>
      </div>
      {failure && <ErrorNotice failure={failure} />}
      {total === 0 && devices !== null && <p>No devices yet. Start with “Provision a board”.</p>}
      {shown.length > 0 && (
        <TableScroll label="Devices table">
          <table className="devices" id="device-table">
            <caption className="visually-hidden">Devices, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Device UID</th>
                <th scope="col">Board</th>
                <th scope="col">Status</th>
                <th scope="col">Registration</th>
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
                    <span className={`pill ${STATUS[d.status].tone}`}>{STATUS[d.status].text}</span>
                  </td>
                  <td>
                    <span
                      className={`pill tone-${REGISTRATION_STATUS_TEXT[d.registration.status].tone}`}
                    >
                      {REGISTRATION_STATUS_TEXT[d.registration.status].text}
                    </span>
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
        </TableScroll>
      )}
      {more && (
        <div className="actions">
          <button type="button" onClick={showMore}>
            Show more devices
          </button>
        </div>
      )}
      <ExportPanel />
    </div>
  )
}
