import { isIPv4, isIPv6 } from 'node:net'
import { z } from 'zod'
import { FieldFlashError, invalidInput } from '../shared/errors'
import { DEFAULT_REGISTRATION_LIFETIME_DAYS } from '../store/records'
import type { FieldFlashStore } from '../store/store'
import {
  SITE_FIELDS,
  type SiteDraft,
  type SiteField,
  type SiteProblems,
  type SiteProfile,
  type SiteProfileView,
} from './site-profile-types'

export type { SiteDraft, SiteField, SiteProblems, SiteProfile, SiteProfileView }

export const DEFAULT_TOKEN_LIFETIME_HOURS = 168
const MAX_TOKEN_LIFETIME_HOURS = 24 * 365
export { DEFAULT_REGISTRATION_LIFETIME_DAYS }
const MAX_REGISTRATION_LIFETIME_DAYS = 3650

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/
const PLATFORM_KEY = /^[\x21-\x7e]{1,128}$/

/** The rule for host fields, stated once so messages and the UI agree. */
export const HOST_RULE =
  'must be a DNS name, an IPv4 address or a bracketed IPv6 address, optionally with :port; no scheme, path or spaces'

/** True for a DNS name, IPv4 address or `[IPv6]`, optionally followed by `:port`. */
export function isValidHost(value: string): boolean {
  let host = value
  const portMatch = /^(.*):(\d{1,5})$/.exec(value)
  if (portMatch && !(value.startsWith('[') && !value.includes(']:'))) {
    const port = Number(portMatch[2])
    if (port < 1 || port > 65535) return false
    host = portMatch[1]!
  }
  if (host.startsWith('[') && host.endsWith(']')) return isIPv6(host.slice(1, -1))
  if (isIPv4(host)) return true
  if (/^[\d.]+$/.test(host)) return false // looks numeric but is not a valid IPv4 address
  if (host.length > 253) return false
  const labels = host.replace(/\.$/, '').split('.')
  return labels.every((label) => LABEL.test(label))
}

/** The rule for the site's Wi-Fi password, stated once. */
const WIFI_PASSWORD_RULE =
  'must be 8–63 printable ASCII characters, 64 hex digits, or empty for an open network'

const PORT_RULE = 'must be a whole number from 1 to 65535'
const LIFETIME_RULE = `must be a whole number of hours from 1 to ${MAX_TOKEN_LIFETIME_HOURS}`
const REGISTRATION_LIFETIME_RULE = `must be a whole number of days from 1 to ${MAX_REGISTRATION_LIFETIME_DAYS}`
const OTA_RULE =
  'must be an absolute http:// or https:// URL with a host, without spaces, query or fragment'

const required = z.string({ error: 'is required' }).min(1, { error: 'is required', abort: true })
const host = required.refine(isValidHost, { error: HOST_RULE, abort: true })

/**
 * A whole number given as a number or as digits (the form sends text), within [min, max];
 * `fallback` stands in for a missing one.
 */
function wholeNumber(min: number, max: number, rule: string, fallback?: number) {
  return z
    .unknown()
    .optional()
    .transform((value, context) => {
      const number = value === undefined && fallback !== undefined ? fallback : toInteger(value)
      if (number === null || number < min || number > max) {
        context.addIssue({ code: 'custom', message: rule })
        return z.NEVER
      }
      return number
    })
}

/**
 * The site profile's rules, one schema for the CLI, the app and the stored row. Issues are
 * reported per field (`wifi.ssid` as `wifiSsid`), every field at once.
 */
const siteProfileSchema = z.object({
  platformKey: required.regex(PLATFORM_KEY, {
    error: 'must be 1–128 printable ASCII characters without spaces',
  }),
  apiHost: host,
  mqttHost: host.refine((value) => !(/:\d+$/.test(value) && !value.endsWith(']')), {
    error: 'must not carry a port; put it in mqttPort',
  }),
  mqttPort: wholeNumber(1, 65535, PORT_RULE),
  otaBaseUrl: required.superRefine((value, context) => {
    const problem = otaBaseUrlProblem(value)
    if (problem) context.addIssue({ code: 'custom', message: problem })
  }),
  tokenLifetimeHours: wholeNumber(
    1,
    MAX_TOKEN_LIFETIME_HOURS,
    LIFETIME_RULE,
    DEFAULT_TOKEN_LIFETIME_HOURS,
  ),
  registrationLifetimeDays: wholeNumber(
    1,
    MAX_REGISTRATION_LIFETIME_DAYS,
    REGISTRATION_LIFETIME_RULE,
    DEFAULT_REGISTRATION_LIFETIME_DAYS,
  ),
  wifi: z
    .object(
      {
        ssid: z.string({ error: 'is required' }).refine(
          (ssid) => {
            const bytes = Buffer.byteLength(ssid, 'utf8')
            return bytes >= 1 && bytes <= 32 && !ssid.includes('\0')
          },
          { error: 'must be 1–32 bytes (UTF-8) without NUL' },
        ),
        password: z
          .string({ error: 'is required' })
          .refine(
            (password) =>
              password === '' ||
              /^[\x20-\x7e]{8,63}$/.test(password) ||
              /^[0-9a-fA-F]{64}$/.test(password),
            { error: WIFI_PASSWORD_RULE },
          ),
      },
      { error: 'must be an SSID and a password' },
    )
    .nullish()
    .transform((wifi) => wifi ?? null),
})

function fieldOf(path: PropertyKey[]): SiteField {
  if (path[0] === 'wifi') return path[1] === 'password' ? 'wifiPassword' : 'wifiSsid'
  return path[0] as SiteField
}

/** Checks every field at once: the profile, or each failing field's first problem. */
export function checkSiteProfile(
  input: Partial<Record<keyof SiteProfile, unknown>>,
): { profile: SiteProfile; problems: null } | { profile: null; problems: SiteProblems } {
  const parsed = siteProfileSchema.safeParse(input)
  if (parsed.success) return { profile: parsed.data, problems: null }
  const problems: SiteProblems = {}
  for (const issue of parsed.error.issues) problems[fieldOf(issue.path)] ??= issue.message
  return { profile: null, problems }
}

/** Validates every field; a failure names its (first failing) field and the rule it broke. */
export function validateSiteProfile(
  input: Partial<Record<keyof SiteProfile, unknown>>,
): SiteProfile {
  const checked = checkSiteProfile(input)
  if (checked.problems) {
    const field = SITE_FIELDS.find((name) => checked.problems[name])!
    throw invalidInput(field, checked.problems[field]!)
  }
  return checked.profile
}

/** The profile as it may be shown: the Wi-Fi password never leaves main. */
export function viewSiteProfile(profile: SiteProfile): SiteProfileView {
  return {
    ...profile,
    wifi: profile.wifi ? { ssid: profile.wifi.ssid, open: profile.wifi.password === '' } : null,
  }
}

function toInteger(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) ? value : null
  if (typeof value === 'string' && /^\d{1,9}$/.test(value)) return Number(value)
  return null
}

/** What is wrong with an OTA base URL, or null. */
function otaBaseUrlProblem(text: string): string | null {
  if (/[\s"\\]/.test(text) || /[^\x21-\x7e]/.test(text)) return OTA_RULE
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return OTA_RULE
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return OTA_RULE
  if (url.username || url.password) return 'must not embed a user name or password'
  if (url.search || url.hash || !/^https?:\/\/[^/]/.test(text)) return OTA_RULE
  if (!isValidHost(url.host)) return OTA_RULE
  return null
}

export type SiteInput = Partial<Record<keyof SiteProfile, unknown>>

/**
 * `input` over the saved profile: fields left undefined keep their saved value. So does half of a
 * Wi-Fi: a new SSID keeps the saved WPA password (the form never sees it, so it cannot resend it),
 * a new password keeps the saved SSID.
 */
function overSaved(before: SiteProfile | null, input: SiteInput): SiteInput {
  const merged: SiteInput = { ...before }
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined) merged[key as keyof SiteProfile] = value
  }
  const wifi = input.wifi as { ssid?: unknown; password?: unknown } | null | undefined
  if (wifi && typeof wifi === 'object' && before?.wifi) {
    merged.wifi = {
      ssid: wifi.ssid === undefined ? before.wifi.ssid : wifi.ssid,
      // An open network has no password to keep: moving to WPA needs one typed.
      password:
        wifi.password === undefined && before.wifi.password !== ''
          ? before.wifi.password
          : wifi.password,
    }
  }
  return merged
}

/**
 * Saves a validated site profile. Fields left undefined keep their saved value, read in the same
 * transaction, so two processes updating different fields never undo each other.
 */
export function saveSiteProfile(store: FieldFlashStore, input: SiteInput): Promise<SiteProfile> {
  return store.write(async (tx) => {
    const before = await tx.site()
    const profile = validateSiteProfile(overSaved(before, input))
    const changed = (Object.keys(profile) as (keyof SiteProfile)[]).filter(
      (key) => JSON.stringify(before?.[key]) !== JSON.stringify(profile[key]),
    )
    await tx.saveSite(profile)
    // Field names only: the values (the platform key among them) stay out of the log.
    await tx.audit([{ type: 'site.saved', changed }])
    return profile
  })
}

/** The profile input a form draft stands for. */
export function siteInputFromDraft(draft: SiteDraft): SiteInput {
  const {
    wifiMode,
    wifiSsid,
    wifiPassword,
    tokenLifetimeHours,
    registrationLifetimeDays,
    ...fields
  } = draft
  return {
    ...fields,
    // Left empty in the form: the default lifetimes.
    tokenLifetimeHours:
      tokenLifetimeHours === '' ? DEFAULT_TOKEN_LIFETIME_HOURS : tokenLifetimeHours,
    registrationLifetimeDays:
      registrationLifetimeDays === ''
        ? DEFAULT_REGISTRATION_LIFETIME_DAYS
        : registrationLifetimeDays,
    wifi:
      wifiMode === undefined
        ? undefined
        : wifiMode === 'none'
          ? null
          : {
              ssid: wifiSsid ?? '',
              password: wifiMode === 'open' ? '' : wifiPassword === '' ? undefined : wifiPassword,
            },
  }
}

/** Every problem of a form draft as it would be saved over `saved`, by field. */
export function checkSiteDraft(draft: SiteDraft, saved: SiteProfile | null): SiteProblems {
  return checkSiteProfile(overSaved(saved, siteInputFromDraft(draft))).problems ?? {}
}

/** Saves a form draft in one transaction over the saved profile. */
export function saveSiteDraft(store: FieldFlashStore, draft: SiteDraft): Promise<SiteProfile> {
  return saveSiteProfile(store, siteInputFromDraft(draft))
}

/** The site profile, or `site_not_configured` telling the user how to set it. */
export async function requireSiteProfile(source: {
  site(): Promise<SiteProfile | null>
}): Promise<SiteProfile> {
  const site = await source.site()
  if (!site) {
    throw new FieldFlashError(
      'site_not_configured',
      'No site profile yet: set the platform key, API host, MQTT host and port and OTA base URL first (in the app, or "fieldflash site set").',
    )
  }
  return site
}
