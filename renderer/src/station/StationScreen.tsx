import { useEffect, useState } from 'react'
import {
  api,
  type BoardStatus,
  type Failure,
  type LibraryFirmware,
  type StationSettings,
  type StationSnapshot,
} from '../api'
import { Field } from '../components/Field'
import { FocusHeading } from '../components/Heading'
import { ErrorNotice, Notice } from '../components/Notice'
import { TableScroll } from '../components/TableScroll'
import { technicianName } from '../components/technician'
import { portLabel, usePorts } from '../hooks'

const PHASE_TEXT: Record<BoardStatus['phase'], string> = {
  identifying: 'Reading the board',
  writing: 'Writing',
  verifying: 'Waiting for its code',
  done: 'Done',
  failed: 'Failed',
  skipped: 'Skipped',
}

const PHASE_TONE: Record<BoardStatus['phase'], string> = {
  identifying: 'progress',
  writing: 'progress',
  verifying: 'progress',
  done: 'success',
  failed: 'danger',
  skipped: 'warning',
}

/**
 * The factory station: many boards at once, a tile per port with its state in colour and words.
 * The lot's settings are locked while it runs; the results can be exported as CSV.
 */
export function StationScreen(): React.JSX.Element {
  const { ports } = usePorts()
  const [snapshot, setSnapshot] = useState<StationSnapshot | null>(null)
  const [firmware, setFirmware] = useState<LibraryFirmware[]>([])
  const [failure, setFailure] = useState<Failure | null>(null)
  const [exported, setExported] = useState<string | null>(null)
  const [draft, setDraft] = useState<StationSettings>({
    firmwareId: '',
    lot: 'unit-{seq:05}',
    ports: 'auto',
    until: 'approved',
    approver: technicianName(),
    count: null,
  })

  useEffect(() => {
    let alive = true
    void api.getStation().then((r) => {
      if (!alive) return
      if (r.ok) {
        setSnapshot(r.value)
        if (r.value.settings) setDraft(r.value.settings)
      } else setFailure(r)
    })
    void api.listBoards().then(async (r) => {
      if (!r.ok) return
      const lists = await Promise.all(r.value.map((b) => api.listFirmware({ boardId: b.id })))
      if (!alive) return
      const all = lists.flatMap((l) => (l.ok ? l.value : []))
      setFirmware(all)
      setDraft((d) => (d.firmwareId || !all[0] ? d : { ...d, firmwareId: all[0].id }))
    })
    const unsubscribe = api.onStationEvent((event) => {
      if (event.type === 'ended') {
        void api.getStation().then((r) => r.ok && setSnapshot(r.value))
        return
      }
      setSnapshot((s) => {
        if (!s) return s
        if (event.type === 'board') {
          const boards = s.boards.filter((b) => b.port !== event.board.port).concat(event.board)
          return { ...s, boards }
        }
        if (event.type === 'totals') return { ...s, totals: event.totals }
        return s
      })
      // Results arrive with the board's end; the snapshot carries them.
      if (event.type === 'board' && ['done', 'failed', 'skipped'].includes(event.board.phase)) {
        void api.getStation().then((r) => r.ok && setSnapshot(r.value))
      }
    })
    return () => {
      alive = false
      unsubscribe()
    }
  }, [])

  const running = snapshot?.running ?? false
  const start = async (): Promise<void> => {
    setFailure(null)
    setExported(null)
    const result = await api.startStation({
      ...draft,
      approver: draft.until === 'approved' ? draft.approver : null,
    })
    if (result.ok) setSnapshot(result.value)
    else setFailure(result)
  }
  const stop = async (abort: boolean): Promise<void> => {
    const result = await api.stopStation({ abort })
    if (result.ok) setSnapshot(result.value)
    else setFailure(result)
  }
  const exportResults = async (): Promise<void> => {
    const result = await api.exportStationResults()
    if (!result.ok) setFailure(result)
    else if (result.value)
      setExported(`${result.value.rows} result(s) saved to ${result.value.path}.`)
  }

  const totals = snapshot?.totals
  const listed = draft.ports === 'auto' ? [] : draft.ports
  return (
    <div className="station">
      <FocusHeading>Station</FocusHeading>
      <p className="lead">
        Plug boards in: each is read, given the next device of the lot, provisioned and taken as far
        as you choose — every port on its own.
      </p>
      {failure && <ErrorNotice failure={failure} takeFocus />}

      <fieldset disabled={running} aria-describedby={running ? 'station-locked' : undefined}>
        <legend>The lot{running ? ' (locked while the station runs)' : ''}</legend>
        <div className="field">
          <label htmlFor="station-firmware">Base firmware</label>
          <select
            id="station-firmware"
            value={draft.firmwareId}
            onChange={(e) => setDraft({ ...draft, firmwareId: e.target.value })}
          >
            {firmware.length === 0 && <option value="">No base firmware in the library</option>}
            {firmware.map((f) => (
              <option key={f.id + f.boardId} value={f.id}>
                {f.name} {f.version ?? ''} — {f.boardId} ({f.id})
              </option>
            ))}
          </select>
        </div>
        <Field
          label="Device names"
          value={draft.lot}
          hint="A pattern with {seq}, {seq:05} or {mac}, e.g. line3-{seq:05}"
          onChange={(e) => setDraft({ ...draft, lot: e.target.value })}
        />
        <div className="segmented" role="radiogroup" aria-label="Ports">
          <label className={draft.ports === 'auto' ? 'selected' : ''}>
            <input
              type="radio"
              name="station-ports"
              checked={draft.ports === 'auto'}
              onChange={() => setDraft({ ...draft, ports: 'auto' })}
            />
            Every port a board is plugged into
          </label>
          <label className={draft.ports !== 'auto' ? 'selected' : ''}>
            <input
              type="radio"
              name="station-ports"
              checked={draft.ports !== 'auto'}
              onChange={() => setDraft({ ...draft, ports: [] })}
            />
            Only these ports
          </label>
        </div>
        {draft.ports !== 'auto' && (
          <ul className="port-choices">
            {ports?.map((p) => (
              <li key={p.path}>
                <label>
                  <input
                    type="checkbox"
                    checked={listed.includes(p.path)}
                    onChange={(e) =>
                      setDraft({
                        ...draft,
                        ports: e.target.checked
                          ? [...listed, p.path]
                          : listed.filter((path) => path !== p.path),
                      })
                    }
                  />{' '}
                  {portLabel(p)}
                </label>
              </li>
            ))}
          </ul>
        )}
        <div className="field">
          <label htmlFor="station-until">Take each board to</label>
          <select
            id="station-until"
            value={draft.until}
            onChange={(e) =>
              setDraft({ ...draft, until: e.target.value as StationSettings['until'] })
            }
          >
            <option value="flashed">Flashed</option>
            <option value="verified">Verified (its code checked)</option>
            <option value="approved">Approved and registered</option>
          </select>
        </div>
        {draft.until === 'approved' && (
          <Field
            label="Approved by"
            value={draft.approver ?? ''}
            autoComplete="name"
            maxLength={80}
            onChange={(e) => setDraft({ ...draft, approver: e.target.value })}
          />
        )}
      </fieldset>
      {running && (
        <p id="station-locked" className="hint">
          The lot&apos;s settings are locked while the station runs.
        </p>
      )}

      <div className="actions">
        {!running ? (
          <button type="button" className="primary big" onClick={() => void start()}>
            Start the station
          </button>
        ) : (
          <>
            <button type="button" disabled={snapshot?.stopping} onClick={() => void stop(false)}>
              Stop taking boards
            </button>
            <button type="button" className="danger" onClick={() => void stop(true)}>
              Abort the boards in flight
            </button>
          </>
        )}
      </div>

      {totals && (
        <p role="status" className="station-totals">
          {running ? (snapshot?.stopping ? 'Stopping: ' : 'Running: ') : 'Ended: '}
          {totals.done} done, {totals.failed} failed, {totals.skipped} skipped
          {totals.perHour ? ` — ${totals.perHour} boards per hour` : ''}
        </p>
      )}

      <ul className="station-tiles" aria-label="Boards">
        {snapshot?.boards.map((b) => (
          <li key={b.port} className={`station-tile tone-${PHASE_TONE[b.phase]}`}>
            <p className="tile-port mono">{b.slot === b.port ? b.port : `${b.slot}`}</p>
            <p className="tile-phase">{PHASE_TEXT[b.phase]}</p>
            <p className="mono">{b.uid ?? '—'}</p>
            {b.percent !== null && b.phase === 'writing' && (
              <progress max={100} value={b.percent} aria-label={`${b.uid ?? b.port} written`} />
            )}
            {b.code && <p className="mono">Code {b.code}</p>}
            {b.phase === 'done' && (
              <p>{b.reached === 'registered' ? 'Registered' : `Reached: ${b.reached}`}</p>
            )}
            {(b.phase === 'failed' || b.phase === 'skipped') && <p>{b.message}</p>}
            <p className="muted">{b.seconds.toFixed(1)} s</p>
          </li>
        ))}
      </ul>

      {snapshot && snapshot.rows.length > 0 && (
        <section aria-labelledby="station-results-heading">
          <h2 id="station-results-heading">Results</h2>
          {exported && (
            <Notice tone="success" title="Results saved" role="status" takeFocus>
              <p>{exported}</p>
            </Notice>
          )}
          <div className="actions">
            <button type="button" onClick={() => void exportResults()}>
              Export results (CSV)…
            </button>
          </div>
          <TableScroll label="Station results table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Port</th>
                  <th scope="col">Device</th>
                  <th scope="col">MAC</th>
                  <th scope="col">Code</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Seconds</th>
                </tr>
              </thead>
              <tbody>
                {snapshot.rows.map((r, i) => (
                  <tr key={i}>
                    <td className="mono">{r.port}</td>
                    <td className="mono">{r.device || '—'}</td>
                    <td className="mono">{r.mac || '—'}</td>
                    <td className="mono">{r.code || '—'}</td>
                    <td>
                      {r.outcome === 'done'
                        ? `Done (${r.reached})`
                        : `${r.outcome}: ${r.errorCode}`}
                    </td>
                    <td>{r.totalSeconds}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        </section>
      )}
    </div>
  )
}
