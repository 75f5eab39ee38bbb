import { useEffect, useState } from 'react'
import type { Board } from '../../main/boards/board-schema'
import type { SiteProfile } from '../../main/site/site-profile-types'

type Load<T> = { state: 'loading' } | { state: 'ready'; value: T } | { state: 'error'; message: string }

/** The first screen: where the site stands and which boards this installation can prepare. */
export function App(): React.JSX.Element {
  const [boards, setBoards] = useState<Load<Board[]>>({ state: 'loading' })
  const [site, setSite] = useState<Load<SiteProfile | null>>({ state: 'loading' })

  useEffect(() => {
    void window.fieldflash.listBoards().then((r) =>
      setBoards(r.ok ? { state: 'ready', value: r.value } : { state: 'error', message: r.message }),
    )
    void window.fieldflash.getSiteProfile().then((r) =>
      setSite(r.ok ? { state: 'ready', value: r.value } : { state: 'error', message: r.message }),
    )
  }, [])

  return (
    <main>
      <h1>FieldFlash</h1>
      <section aria-labelledby="site-heading">
        <h2 id="site-heading">Site</h2>
        {site.state === 'loading' && <p>Loading…</p>}
        {site.state === 'error' && <p role="alert">{site.message}</p>}
        {site.state === 'ready' &&
          (site.value ? (
            <p>
              Devices connect to MQTT <strong>{site.value.mqttHost}:{site.value.mqttPort}</strong> and API{' '}
              <strong>{site.value.apiHost}</strong>.
            </p>
          ) : (
            <p>No site profile yet. Set one with <code>fieldflash site set</code>.</p>
          ))}
      </section>
      <section aria-labelledby="boards-heading">
        <h2 id="boards-heading">Boards</h2>
        {boards.state === 'loading' && <p>Loading…</p>}
        {boards.state === 'error' && <p role="alert">{boards.message}</p>}
        {boards.state === 'ready' && (
          <ul>
            {boards.value.map((b) => (
              <li key={b.id}>
                <strong>{b.name}</strong> — {b.chipFamily}, {b.flash.size} flash
                {b.psram ? `, ${b.psram} PSRAM` : ''}
              </li>
            ))}
          </ul>
        )}
      </section>
    </main>
  )
}
