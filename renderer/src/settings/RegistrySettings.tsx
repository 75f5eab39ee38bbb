import { useEffect, useState } from 'react'
import { api, type Failure, type RegistryView } from '../api'
import { Field } from '../components/Field'
import { ErrorNotice, Notice } from '../components/Notice'

/**
 * Where the registry is and whether it answers (this computer's, or a PostgreSQL server several
 * stations share), and the shared one to use from the next start.
 */
export function RegistrySettings(): React.JSX.Element {
  const [view, setView] = useState<RegistryView | null>(null)
  const [url, setUrl] = useState('')
  const [problem, setProblem] = useState<string | null>(null)
  const [failure, setFailure] = useState<Failure | null>(null)
  const [saved, setSaved] = useState(false)
  useEffect(() => {
    void api.getRegistry().then((r) => r.ok && setView(r.value))
  }, [])

  const choose = async (next: string | null): Promise<void> => {
    setProblem(null)
    setFailure(null)
    setSaved(false)
    const result = await api.setRegistryDatabase({ url: next })
    if (result.ok) {
      setView(result.value)
      setSaved(true)
      setUrl('')
    } else if (result.field === 'url') {
      setProblem(result.message.replace(/^url: /, ''))
    } else {
      setFailure(result)
    }
  }

  if (!view) return <p>Reading the registry…</p>
  const { state, database } = view
  return (
    <>
      <dl className="facts">
        <div>
          <dt>Registry</dt>
          <dd>
            {state.engine === 'postgres'
              ? 'Shared by several stations (PostgreSQL)'
              : "This computer's own (SQLite)"}
          </dd>
        </div>
        <div>
          <dt>Where</dt>
          <dd className="mono">{state.location}</dd>
        </div>
        <div>
          <dt>This station</dt>
          <dd>{state.station}</dd>
        </div>
        <div>
          <dt>State</dt>
          <dd>
            {!state.reachable
              ? 'Cannot be reached'
              : state.tls === null
                ? 'Ready'
                : state.tls
                  ? 'Connected, encrypted (TLS)'
                  : 'Connected, not encrypted'}
          </dd>
        </div>
        {database && (
          <div>
            <dt>{view.restartNeeded ? 'Chosen for the next start' : 'Chosen'}</dt>
            <dd className="mono">
              {database.shown}
              {database.from === 'environment' ? ' (FIELDFLASH_DATABASE_URL)' : ''}
            </dd>
          </div>
        )}
      </dl>
      {state.problem && (
        <Notice tone={state.reachable ? 'warning' : 'danger'} title="The registry needs you">
          <p>{state.problem}</p>
        </Notice>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault()
          void choose(url)
        }}
      >
        <Field
          label="Shared registry (PostgreSQL URL)"
          hint="For several stations sharing one registry, e.g. postgres://fieldflash@db.example:5432/fieldflash?sslmode=verify-full. Its password goes in ~/.pgpass, never here. Used from the next start."
          value={url}
          maxLength={2048}
          autoComplete="off"
          spellCheck={false}
          problem={problem}
          onChange={(e) => setUrl(e.target.value)}
        />
        <div className="actions">
          <button type="submit" disabled={url.trim() === ''}>
            Use this shared registry
          </button>
          {database?.from === 'settings' && (
            <button type="button" onClick={() => void choose(null)}>
              Use this computer&apos;s registry
            </button>
          )}
        </div>
      </form>
      {failure && <ErrorNotice failure={failure} takeFocus />}
      {saved && (
        <Notice
          tone={view.restartNeeded ? 'info' : 'success'}
          title={
            view.restartNeeded
              ? 'Saved: restart FieldFlash to use it'
              : 'Saved: this is the registry in use'
          }
          role="status"
          takeFocus
        >
          <p>
            {database
              ? `From the next start: ${database.shown}.`
              : "From the next start: this computer's own registry."}
          </p>
        </Notice>
      )}
    </>
  )
}
