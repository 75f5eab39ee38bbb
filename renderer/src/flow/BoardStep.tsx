import { useMemo } from 'react'
import type { Board } from '../api'
import { BoardIcon } from '../components/Icons'
import { Notice } from '../components/Notice'
import { FocusHeading } from '../components/Heading'
import { portLabel, usePorts } from '../hooks'

/** Step 1: which board is on the cable. Connected ports suggest catalog boards by USB id. */
export function BoardStep({
  boards,
  boardId,
  portPath,
  onChange,
  onNext,
}: {
  boards: Board[]
  boardId: string | null
  portPath: string | null
  onChange: (boardId: string | null, portPath: string | null) => void
  onNext: () => void
}): React.JSX.Element {
  const { ports } = usePorts()
  const port = ports?.find((p) => p.path === portPath) ?? null
  const suggested = useMemo(() => new Set(port?.boardIds ?? []), [port])
  const ordered = useMemo(
    () => [...boards].sort((a, b) => Number(suggested.has(b.id)) - Number(suggested.has(a.id))),
    [boards, suggested],
  )
  const board = boards.find((b) => b.id === boardId) ?? null

  return (
    <section aria-labelledby="board-step-heading" className="step">
      <FocusHeading level={2} id="board-step-heading">
        Which board are you preparing?
      </FocusHeading>
      <fieldset className="ports">
        <legend>Connected boards</legend>
        {ports === null && <p>Looking for serial ports…</p>}
        {ports?.length === 0 && (
          <Notice tone="info" title="No board connected">
            <p>
              Plug the board in with a USB data cable. It appears here within a few seconds. You can
              also choose the board below and connect it later.
            </p>
          </Notice>
        )}
        {ports?.map((p) => (
          <label key={p.path} className={`choice${p.path === portPath ? ' selected' : ''}`}>
            <input
              type="radio"
              name="port"
              value={p.path}
              checked={p.path === portPath}
              onChange={() => {
                const first = p.boardIds[0] ?? null
                onChange(
                  boardId && p.boardIds.includes(boardId) ? boardId : (first ?? boardId),
                  p.path,
                )
              }}
            />
            <span>
              <strong>{portLabel(p)}</strong>
              <span className="muted">
                {p.boardIds.length > 0
                  ? ` · fits ${p.boardIds.length} board${p.boardIds.length === 1 ? '' : 's'} in the catalog`
                  : p.vid
                    ? ` · USB ${p.vid}:${p.pid}`
                    : ''}
              </span>
            </span>
          </label>
        ))}
      </fieldset>

      <fieldset className="catalog">
        <legend>
          Board catalog{port && suggested.size > 0 ? ` — suggested for ${port.path} first` : ''}
        </legend>
        <div className="board-grid">
          {ordered.map((b) => (
            <label key={b.id} className={`board-card${b.id === boardId ? ' selected' : ''}`}>
              <input
                type="radio"
                name="board"
                value={b.id}
                checked={b.id === boardId}
                onChange={() => onChange(b.id, portPath)}
              />
              <BoardIcon board={b} />
              <span className="board-text">
                <strong>{b.name}</strong>
                <span className="muted">
                  {b.chipFamily}, {b.flash.size} flash{b.psram ? `, ${b.psram} PSRAM` : ''}
                </span>
                {!b.offlineRegistration.supported && (
                  <span className="muted">Cannot be registered offline</span>
                )}
                {suggested.has(b.id) && <span className="badge">Suggested</span>}
              </span>
            </label>
          ))}
        </div>
      </fieldset>
      <div className="actions">
        <button type="button" className="primary big" disabled={!board} onClick={onNext}>
          {board ? `Continue with ${board.name}` : 'Choose a board to continue'}
        </button>
      </div>
    </section>
  )
}
