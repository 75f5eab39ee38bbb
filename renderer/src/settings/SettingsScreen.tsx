import { useEffect, useState } from 'react'
import { api, type AppInfo, type SiteProfileView } from '../api'
import { Field } from '../components/Field'
import { FocusHeading } from '../components/Heading'
import { setTechnicianName, technicianName } from '../components/technician'
import { RegistrySettings } from './RegistrySettings'
import { SiteProfileForm } from './SiteProfileForm'

/** The site profile, who approves, and where the data lives. */
export function SettingsScreen({
  site,
  onSite,
}: {
  site: SiteProfileView | null
  onSite: (profile: SiteProfileView) => void
}): React.JSX.Element {
  const [info, setInfo] = useState<AppInfo | null>(null)
  const [name, setName] = useState(technicianName)
  useEffect(() => {
    void api.getAppInfo().then((r) => r.ok && setInfo(r.value))
  }, [])
  return (
    <div>
      <FocusHeading>Settings</FocusHeading>
      <section aria-labelledby="site-heading" className="card">
        <h2 id="site-heading">Site profile</h2>
        <p>
          Rendered into every template downloaded from now on; templates already downloaded keep
          their values.
        </p>
        <SiteProfileForm profile={site} submitLabel="Save site profile" onSaved={onSite} />
      </section>
      <section aria-labelledby="you-heading" className="card">
        <h2 id="you-heading">Technician</h2>
        <Field
          label="Your name"
          hint="Recorded with every approval and rejection in the audit log. Kept on this computer."
          value={name}
          maxLength={80}
          autoComplete="name"
          onChange={(e) => {
            setName(e.target.value)
            setTechnicianName(e.target.value)
          }}
        />
      </section>
      <section aria-labelledby="registry-heading" className="card">
        <h2 id="registry-heading">Registry</h2>
        <RegistrySettings />
      </section>
      <section aria-labelledby="about-heading" className="card">
        <h2 id="about-heading">About this installation</h2>
        {info && (
          <dl className="facts">
            <div>
              <dt>Version</dt>
              <dd>{info.version}</dd>
            </div>
            <div>
              <dt>Data folder</dt>
              <dd className="mono">{info.dataDir}</dd>
            </div>
            <div>
              <dt>Registry and audit log</dt>
              <dd className="mono">{info.databasePath}</dd>
            </div>
          </dl>
        )}
        <p>
          FieldFlash works fully offline: it makes no network requests (but to the shared registry,
          when one is chosen). The appearance follows your system&apos;s light or dark setting.
        </p>
      </section>
    </div>
  )
}
