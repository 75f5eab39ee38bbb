import { useEffect, useState } from 'react'
import appIcon from '../../resources/icons/icon.svg'
import { api, type Board, type Failure, type SiteProfileView } from './api'
import { ConsoleScreen } from './console/ConsoleScreen'
import { DevicePage } from './devices/DevicePage'
import { DevicesScreen } from './devices/DevicesScreen'
import { FocusHeading } from './components/Heading'
import { ErrorNotice } from './components/Notice'
import { Flow, type FlowStart } from './flow/Flow'
import { SettingsScreen } from './settings/SettingsScreen'
import { StationScreen } from './station/StationScreen'
import { SiteProfileForm } from './settings/SiteProfileForm'

type Screen =
  | { name: 'flow'; start: FlowStart | null; key: number }
  | { name: 'devices' }
  | { name: 'device'; uid: string }
  | { name: 'console' }
  | { name: 'station' }
  | { name: 'settings' }

const NAV: { name: Screen['name']; label: string }[] = [
  { name: 'flow', label: 'Provision a board' },
  { name: 'devices', label: 'Devices' },
  { name: 'station', label: 'Station' },
  { name: 'console', label: 'Serial console' },
  { name: 'settings', label: 'Settings' },
]

/** The app: first run asks for the site profile; then the guided flow and the other screens. */
export function App(): React.JSX.Element {
  const [site, setSite] = useState<SiteProfileView | null | undefined>(undefined)
  const [boards, setBoards] = useState<Board[]>([])
  const [failure, setFailure] = useState<Failure | null>(null)
  const [screen, setScreen] = useState<Screen>({ name: 'flow', start: null, key: 0 })

  useEffect(() => {
    void api.getSiteProfile().then((r) => (r.ok ? setSite(r.value) : setFailure(r)))
    void api.listBoards().then((r) => (r.ok ? setBoards(r.value) : setFailure(r)))
  }, [])

  const current = screen.name === 'device' ? 'devices' : screen.name
  return (
    <>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="app-header">
        <div className="brand">
          <img src={appIcon} alt="" width="32" height="32" />
          <span>FieldFlash</span>
        </div>
        {site && (
          <nav aria-label="Main">
            <ul>
              {NAV.map((item) => (
                <li key={item.name}>
                  <button
                    type="button"
                    aria-current={current === item.name ? 'page' : undefined}
                    onClick={() =>
                      setScreen(
                        item.name === 'flow'
                          ? { name: 'flow', start: null, key: Date.now() }
                          : ({ name: item.name } as Screen),
                      )
                    }
                  >
                    {item.label}
                  </button>
                </li>
              ))}
            </ul>
          </nav>
        )}
      </header>
      <main id="content" tabIndex={-1}>
        {failure && <ErrorNotice failure={failure} />}
        {site === undefined && !failure && <p role="status">Loading…</p>}
        {site === null && (
          <div className="first-run">
            <FocusHeading>Welcome to FieldFlash</FocusHeading>
            <p className="lead">
              First, the site profile: where this site&apos;s devices connect. You enter it once;
              every template you download carries it. Each field is checked as you type.
            </p>
            <SiteProfileForm profile={null} submitLabel="Save and start" onSaved={setSite} />
          </div>
        )}
        {site && screen.name === 'flow' && (
          <Flow
            key={screen.key}
            boards={boards}
            start={screen.start}
            onOpenDevice={(uid) => setScreen({ name: 'device', uid })}
          />
        )}
        {site && screen.name === 'devices' && (
          <DevicesScreen onOpen={(uid) => setScreen({ name: 'device', uid })} />
        )}
        {site && screen.name === 'device' && (
          <DevicePage
            key={screen.uid}
            uid={screen.uid}
            onBack={() => setScreen({ name: 'devices' })}
            onProvision={(d) =>
              setScreen({ name: 'flow', start: { device: d.device }, key: Date.now() })
            }
          />
        )}
        {site && screen.name === 'console' && <ConsoleScreen />}
        {site && screen.name === 'station' && <StationScreen />}
        {site && screen.name === 'settings' && <SettingsScreen site={site} onSite={setSite} />}
      </main>
    </>
  )
}
