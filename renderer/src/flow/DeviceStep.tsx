import { useEffect, useRef, useState } from 'react'
import { api, type Board, type DeviceView, type Failure } from '../api'
import { Field } from '../components/Field'
import { FocusHeading } from '../components/Heading'
import { ErrorNotice } from '../components/Notice'
import { TOKEN_STATE_TEXT } from '../format'
import { useDeviceList } from '../components/useDeviceList'
import { useShowMore } from '../components/useShowMore'

/** Step 2: a new device (UID generated or typed, checked as typed) or an existing one. */
export function DeviceStep({
  board,
  onChosen,
}: {
  board: Board
  onChosen: (device: DeviceView) => void
}): React.JSX.Element {
  const [mode, setMode] = useState<'new' | 'existing'>('new')
  const [uid, setUid] = useState('')
  const [problem, setProblem] = useState<string | null>(null)
  const [failure, setFailure] = useState<Failure | null>(null)
  const [busy, setBusy] = useState(false)
  const [search, setSearch] = useState('')
  const list = useDeviceList({ search, boardId: board.id })
  const seq = useRef(0)

  useEffect(() => {
    const mine = ++seq.current
    if (uid === '') return
    const timer = setTimeout(() => {
      void api.checkDeviceUid({ uid }).then((r) => {
        if (mine !== seq.current) return
        // Decided by code: a bad format and a taken UID are both the field's problem.
        setProblem(
          r.ok
            ? null
            : r.code === 'invalid_input' || r.code === 'already_exists'
              ? r.message.replace(/^uid: /, '')
              : null,
        )
      })
    }, 120)
    return () => clearTimeout(timer)
  }, [uid])

  const create = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault()
    if (busy || (uid !== '' && problem)) return
    setBusy(true)
    setFailure(null)
    const result = await api.addDevice({
      uid: uid.trim() === '' ? undefined : uid,
      boardId: board.id,
    })
    setBusy(false)
    if (result.ok) onChosen(result.value)
    else if (result.field === 'uid') setProblem(result.message.replace(/^uid: /, ''))
    else setFailure(result)
  }

  const shown = list.devices ?? []
  const pickRef = useRef<HTMLUListElement>(null)
  const showMore = useShowMore(shown.length, list.loadMore, pickRef, 'li > button')
  const choose = async (uid: string): Promise<void> => {
    const result = await api.getDevice({ uid })
    if (result.ok) onChosen(result.value.device)
    else setFailure(result)
  }

  return (
    <section aria-labelledby="device-step-heading" className="step">
      <FocusHeading level={2} id="device-step-heading">
        Which device will this {board.name} become?
      </FocusHeading>
      <div className="segmented" role="radiogroup" aria-label="New or existing device">
        <label className={mode === 'new' ? 'selected' : ''}>
          <input
            type="radio"
            name="device-mode"
            checked={mode === 'new'}
            onChange={() => setMode('new')}
          />
          Create a new device
        </label>
        <label className={mode === 'existing' ? 'selected' : ''}>
          <input
            type="radio"
            name="device-mode"
            checked={mode === 'existing'}
            onChange={() => setMode('existing')}
          />
          Use an existing device{search ? '' : ` (${shown.length}${list.more ? '+' : ''})`}
        </label>
      </div>

      {mode === 'new' ? (
        <form className="card" noValidate onSubmit={(e) => void create(e)}>
          <Field
            label="Device UID (optional)"
            hint="Leave empty and FieldFlash generates one like ff-1k3m9q2x7v0c. Or type your own: 4–90 characters of 0-9 a-z A-Z - _ ."
            name="uid"
            value={uid}
            autoComplete="off"
            spellCheck={false}
            maxLength={90}
            onChange={(e) => setUid(e.target.value)}
            problem={uid === '' ? null : problem}
          />
          {failure && <ErrorNotice failure={failure} />}
          <div className="actions">
            <button
              type="submit"
              className="primary big"
              disabled={uid !== '' && problem !== null}
              // Busy is not `disabled`: that would drop the focus while the device is created.
              aria-disabled={busy || undefined}
            >
              {busy
                ? 'Creating…'
                : uid
                  ? `Create device ${uid}`
                  : 'Create device with a generated UID'}
            </button>
          </div>
        </form>
      ) : (
        <div className="card">
          <Field
            label="Search devices"
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            hint={`Devices made for ${board.name}.`}
          />
          {shown.length === 0 ? (
            <p>No matching device for this board. Create a new one instead.</p>
          ) : (
            <ul className="pick-list" ref={pickRef}>
              {shown.map((d) => (
                <li key={d.uid}>
                  <button type="button" onClick={() => void choose(d.uid)}>
                    <strong className="mono">{d.uid}</strong>
                    <span className="muted">
                      {d.approvedAt
                        ? 'Approved'
                        : d.currentToken
                          ? `Token ${d.currentToken.fingerprint}: ${TOKEN_STATE_TEXT[d.currentToken.state]}`
                          : 'No template downloaded yet'}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          )}
          {list.more && (
            <button type="button" onClick={showMore}>
              Show more devices
            </button>
          )}
          {failure && <ErrorNotice failure={failure} />}
        </div>
      )}
    </section>
  )
}
