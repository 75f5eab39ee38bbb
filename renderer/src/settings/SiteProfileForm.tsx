import { useEffect, useRef, useState } from 'react'
import {
  api,
  type Failure,
  type SiteField,
  type SiteFieldProblems,
  type SiteProfileView,
} from '../api'
import { Field } from '../components/Field'
import { ErrorNotice } from '../components/Notice'

type TextField = Exclude<SiteField, 'wifiSsid' | 'wifiPassword'>
type WifiMode = 'none' | 'open' | 'password'

const FIELDS: {
  field: TextField
  label: string
  hint: string
  placeholder: string
  inputMode?: 'numeric' | 'url'
}[] = [
  {
    field: 'platformKey',
    label: 'Platform key',
    hint: 'The key of your IoT platform account, as your administrator gave it.',
    placeholder: 'pk_live_…',
  },
  {
    field: 'apiHost',
    label: 'API host',
    hint: 'Host name of the platform API, without https://.',
    placeholder: 'api.example.com',
  },
  {
    field: 'mqttHost',
    label: 'MQTT host',
    hint: 'Host name of the MQTT broker, without a port.',
    placeholder: 'mqtt.example.com',
  },
  {
    field: 'mqttPort',
    label: 'MQTT port',
    hint: 'Usually 8883 (TLS).',
    placeholder: '8883',
    inputMode: 'numeric',
  },
  {
    field: 'otaBaseUrl',
    label: 'OTA base URL',
    hint: 'Where devices download firmware updates, starting with https://.',
    placeholder: 'https://ota.example.com/fw',
    inputMode: 'url',
  },
  {
    field: 'tokenLifetimeHours',
    label: 'Token lifetime (hours)',
    hint: 'How long a provisioning token stays valid. Leave empty for 168 (one week).',
    placeholder: '168',
    inputMode: 'numeric',
  },
  {
    field: 'registrationLifetimeDays',
    label: 'Registration lifetime (days)',
    hint: 'How long the registration token a board receives when approved stays valid. Leave empty for 365 (a year, about one maintenance visit).',
    placeholder: '365',
    inputMode: 'numeric',
  },
]

type Draft = Record<SiteField, string> & { wifiMode: WifiMode }

const WIFI_MODES: { mode: WifiMode; label: string }[] = [
  { mode: 'none', label: 'None: boards get their network some other way' },
  { mode: 'open', label: 'Open network (no password)' },
  { mode: 'password', label: 'WPA2/WPA3 with a password' },
]

function toDraft(profile: SiteProfileView | null): Draft {
  return {
    wifiMode: profile?.wifi ? (profile.wifi.open ? 'open' : 'password') : 'none',
    wifiSsid: profile?.wifi?.ssid ?? '',
    // Main never sends the saved password; left empty, it is kept.
    wifiPassword: '',
    platformKey: profile?.platformKey ?? '',
    apiHost: profile?.apiHost ?? '',
    mqttHost: profile?.mqttHost ?? '',
    mqttPort: profile ? String(profile.mqttPort) : '',
    otaBaseUrl: profile?.otaBaseUrl ?? '',
    tokenLifetimeHours: profile ? String(profile.tokenLifetimeHours) : '',
    registrationLifetimeDays: profile ? String(profile.registrationLifetimeDays) : '',
  }
}

/**
 * The site profile form. Each field is checked by main's own rules as the user types (after a
 * short pause); a field shows its problem once it was touched, every field on Save.
 */
export function SiteProfileForm({
  profile,
  submitLabel,
  onSaved,
}: {
  profile: SiteProfileView | null
  submitLabel: string
  onSaved: (profile: SiteProfileView) => void
}): React.JSX.Element {
  const [draft, setDraft] = useState<Draft>(() => toDraft(profile))
  const [problems, setProblems] = useState<SiteFieldProblems>({})
  const [touched, setTouched] = useState<Partial<Record<SiteField, boolean>>>({})
  const [failure, setFailure] = useState<Failure | null>(null)
  const [saving, setSaving] = useState(false)
  const [saved, setSaved] = useState(false)
  const checkSeq = useRef(0)
  const formRef = useRef<HTMLFormElement>(null)

  useEffect(() => {
    const seq = ++checkSeq.current
    const timer = setTimeout(() => {
      void api.checkSiteProfile(draft).then((result) => {
        if (seq !== checkSeq.current) return
        if (result.ok) setProblems(result.value)
      })
    }, 120)
    return () => clearTimeout(timer)
  }, [draft])

  const savedPassword = profile?.wifi !== null && profile?.wifi !== undefined && !profile.wifi.open
  const wifiFields: SiteField[] =
    draft.wifiMode === 'none'
      ? []
      : draft.wifiMode === 'open'
        ? ['wifiSsid']
        : ['wifiSsid', 'wifiPassword']
  const shownFields: SiteField[] = [...FIELDS.map((f) => f.field), ...wifiFields]

  const change = (field: SiteField, value: string): void => {
    setDraft((d) => ({ ...d, [field]: value }))
    setTouched((t) => ({ ...t, [field]: true }))
    setSaved(false)
  }

  const submit = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault()
    if (saving) return
    setTouched(Object.fromEntries(shownFields.map((field) => [field, true])))
    setFailure(null)
    setSaving(true)
    const result = await api.saveSiteProfile(draft)
    setSaving(false)
    if (result.ok) {
      setSaved(true)
      onSaved(result.value)
      return
    }
    if (result.code === 'invalid_input' && result.field && result.field in draft) {
      const field = result.field as SiteField
      setProblems((p) => ({ ...p, [field]: result.message.replace(`${field}: `, '') }))
      formRef.current?.querySelector<HTMLInputElement>(`[name="${field}"]`)?.focus()
      return
    }
    setFailure(result)
  }

  const shownProblems = shownFields.filter((field) => touched[field] && problems[field]).length
  return (
    <form ref={formRef} className="site-form" noValidate onSubmit={(e) => void submit(e)}>
      <div className="field-grid">
        {FIELDS.map(({ field, label, hint, placeholder, inputMode }) => (
          <Field
            key={field}
            name={field}
            label={label}
            hint={hint}
            placeholder={placeholder}
            inputMode={inputMode}
            autoComplete="off"
            spellCheck={false}
            value={draft[field]}
            required={field !== 'tokenLifetimeHours' && field !== 'registrationLifetimeDays'}
            onChange={(e) => change(field, e.target.value)}
            onBlur={() => setTouched((t) => ({ ...t, [field]: true }))}
            problem={touched[field] ? (problems[field] ?? null) : null}
          />
        ))}
      </div>
      <fieldset className="wifi">
        <legend>Site Wi-Fi (optional)</legend>
        <p className="hint">
          Written into each board&apos;s config partition when it is provisioned, so it joins the
          network on first boot.
        </p>
        {WIFI_MODES.map(({ mode, label }) => (
          <label key={mode} className="checkbox">
            <input
              type="radio"
              name="wifiMode"
              value={mode}
              checked={draft.wifiMode === mode}
              onChange={() => {
                setDraft((d) => ({ ...d, wifiMode: mode }))
                setSaved(false)
              }}
            />
            {label}
          </label>
        ))}
        {draft.wifiMode !== 'none' && (
          <div className="field-grid">
            <Field
              name="wifiSsid"
              label="Network name (SSID)"
              hint="As the access point announces it; up to 32 bytes."
              autoComplete="off"
              spellCheck={false}
              value={draft.wifiSsid}
              required
              onChange={(e) => change('wifiSsid', e.target.value)}
              onBlur={() => setTouched((t) => ({ ...t, wifiSsid: true }))}
              problem={touched.wifiSsid ? (problems.wifiSsid ?? null) : null}
            />
            {draft.wifiMode === 'password' && (
              <Field
                name="wifiPassword"
                type="password"
                label="Wi-Fi password"
                hint={
                  savedPassword
                    ? 'A password is saved. Leave this empty to keep it, or type a new one.'
                    : '8–63 characters, or the 64 hex digits of the key.'
                }
                autoComplete="new-password"
                spellCheck={false}
                value={draft.wifiPassword}
                required={!savedPassword}
                onChange={(e) => change('wifiPassword', e.target.value)}
                onBlur={() => setTouched((t) => ({ ...t, wifiPassword: true }))}
                problem={touched.wifiPassword ? (problems.wifiPassword ?? null) : null}
              />
            )}
          </div>
        )}
      </fieldset>
      {failure && <ErrorNotice failure={failure} takeFocus />}
      <div className="actions">
        {/* Saving is not `disabled`: that would drop the focus until the profile is saved. */}
        <button type="submit" className="primary big" aria-disabled={saving || undefined}>
          {saving ? 'Saving…' : submitLabel}
        </button>
        <p className="form-status" role="status">
          {saved
            ? 'Saved.'
            : shownProblems > 0
              ? `${shownProblems} field${shownProblems === 1 ? '' : 's'} to fix.`
              : ''}
        </p>
      </div>
    </form>
  )
}
