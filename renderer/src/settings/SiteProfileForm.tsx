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

const FIELDS: {
  field: SiteField
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
]

type Draft = Record<SiteField, string>

function toDraft(profile: SiteProfileView | null): Draft {
  return {
    platformKey: profile?.platformKey ?? '',
    apiHost: profile?.apiHost ?? '',
    mqttHost: profile?.mqttHost ?? '',
    mqttPort: profile ? String(profile.mqttPort) : '',
    otaBaseUrl: profile?.otaBaseUrl ?? '',
    tokenLifetimeHours: profile ? String(profile.tokenLifetimeHours) : '',
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

  const change = (field: SiteField, value: string): void => {
    setDraft((d) => ({ ...d, [field]: value }))
    setTouched((t) => ({ ...t, [field]: true }))
    setSaved(false)
  }

  const submit = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault()
    setTouched(Object.fromEntries(FIELDS.map((f) => [f.field, true])))
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

  const shownProblems = FIELDS.filter((f) => touched[f.field] && problems[f.field]).length
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
            required={field !== 'tokenLifetimeHours'}
            onChange={(e) => change(field, e.target.value)}
            onBlur={() => setTouched((t) => ({ ...t, [field]: true }))}
            problem={touched[field] ? (problems[field] ?? null) : null}
          />
        ))}
      </div>
      {failure && <ErrorNotice failure={failure} />}
      <div className="actions">
        <button type="submit" className="primary big" disabled={saving}>
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
