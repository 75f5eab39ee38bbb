import { isIPv4, isIPv6 } from 'node:net'
import { FieldFlashError, invalidInput } from '../shared/errors'
import type { FieldFlashStore } from '../store/store'
import type { SiteProfile, SiteProfileView } from './site-profile-types'

export type { SiteProfile, SiteProfileView }

export const DEFAULT_TOKEN_LIFETIME_HOURS = 168
const MAX_TOKEN_LIFETIME_HOURS = 24 * 365

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

function requireString(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidInput(field, 'is required')
  return value
}

function validateHost(field: string, value: unknown): string {
  const host = requireString(field, value)
  if (!isValidHost(host)) throw invalidInput(field, HOST_RULE)
  return host
}

/** Validates every field; the first failure names its field and the rule it broke. */
export function validateSiteProfile(
  input: Partial<Record<keyof SiteProfile, unknown>>,
): SiteProfile {
  const platformKey = requireString('platformKey', input.platformKey)
  if (!PLATFORM_KEY.test(platformKey)) {
    throw invalidInput('platformKey', 'must be 1–128 printable ASCII characters without spaces')
  }
  const apiHost = validateHost('apiHost', input.apiHost)
  const mqttHost = validateHost('mqttHost', input.mqttHost)
  if (/:\d+$/.test(mqttHost) && !mqttHost.endsWith(']')) {
    throw invalidInput('mqttHost', 'must not carry a port; put it in mqttPort')
  }
  const mqttPort = toInteger(input.mqttPort)
  if (mqttPort === null || mqttPort < 1 || mqttPort > 65535) {
    throw invalidInput('mqttPort', 'must be a whole number from 1 to 65535')
  }
  const otaBaseUrl = validateOtaBaseUrl(input.otaBaseUrl)
  const lifetime =
    input.tokenLifetimeHours === undefined
      ? DEFAULT_TOKEN_LIFETIME_HOURS
      : toInteger(input.tokenLifetimeHours)
  if (lifetime === null || lifetime < 1 || lifetime > MAX_TOKEN_LIFETIME_HOURS) {
    throw invalidInput(
      'tokenLifetimeHours',
      `must be a whole number of hours from 1 to ${MAX_TOKEN_LIFETIME_HOURS}`,
    )
  }
  return {
    platformKey,
    apiHost,
    mqttHost,
    mqttPort,
    otaBaseUrl,
    tokenLifetimeHours: lifetime,
    wifi: validateWifi(input.wifi),
  }
}

/** The rule for the site's Wi-Fi password, stated once. */
export const WIFI_PASSWORD_RULE =
  'must be 8–63 printable ASCII characters, 64 hex digits, or empty for an open network'

/** The site's Wi-Fi: null for none; SSID 1–32 bytes; a WPA passphrase, a 64-hex PSK or "" (open). */
export function validateWifi(value: unknown): SiteProfile['wifi'] {
  if (value === undefined || value === null) return null
  if (typeof value !== 'object') throw invalidInput('wifi', 'must be an SSID and a password')
  const { ssid, password } = value as { ssid?: unknown; password?: unknown }
  if (
    typeof ssid !== 'string' ||
    Buffer.byteLength(ssid, 'utf8') < 1 ||
    Buffer.byteLength(ssid, 'utf8') > 32 ||
    ssid.includes('\0')
  ) {
    throw invalidInput('wifiSsid', 'must be 1–32 bytes (UTF-8) without NUL')
  }
  if (
    typeof password !== 'string' ||
    !(password === '' || /^[\x20-\x7e]{8,63}$/.test(password) || /^[0-9a-fA-F]{64}$/.test(password))
  ) {
    throw invalidInput('wifiPassword', WIFI_PASSWORD_RULE)
  }
  return { ssid, password }
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

function validateOtaBaseUrl(value: unknown): string {
  const text = requireString('otaBaseUrl', value)
  const rule =
    'must be an absolute http:// or https:// URL with a host, without spaces, query or fragment'
  if (/[\s"\\]/.test(text) || /[^\x21-\x7e]/.test(text)) throw invalidInput('otaBaseUrl', rule)
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw invalidInput('otaBaseUrl', rule)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidInput('otaBaseUrl', rule)
  if (url.username || url.password) {
    throw invalidInput('otaBaseUrl', 'must not embed a user name or password')
  }
  if (url.search || url.hash || !/^https?:\/\/[^/]/.test(text))
    throw invalidInput('otaBaseUrl', rule)
  if (!isValidHost(url.host)) throw invalidInput('otaBaseUrl', rule)
  return text
}

/**
 * Saves a validated site profile. Fields left undefined keep their saved value, read in the same
 * transaction, so two processes updating different fields never undo each other.
 */
export function saveSiteProfile(
  store: FieldFlashStore,
  input: Partial<Record<keyof SiteProfile, unknown>>,
): SiteProfile {
  return store.write((tx) => {
    const before = tx.site()
    const merged: Partial<Record<keyof SiteProfile, unknown>> = { ...before }
    for (const [key, value] of Object.entries(input)) {
      if (value !== undefined) merged[key as keyof SiteProfile] = value
    }
    const profile = validateSiteProfile(merged)
    const changed = (Object.keys(profile) as (keyof SiteProfile)[]).filter(
      (key) => before?.[key] !== profile[key],
    )
    tx.saveSite(profile)
    // Field names only: the values (the platform key among them) stay out of the log.
    tx.audit([{ type: 'site.saved', changed }])
    return profile
  })
}

/** The site profile, or `site_not_configured` telling the user how to set it. */
export function requireSiteProfile(source: { site(): SiteProfile | null }): SiteProfile {
  const site = source.site()
  if (!site) {
    throw new FieldFlashError(
      'site_not_configured',
      'No site profile yet: set the platform key, API host, MQTT host and port and OTA base URL first (in the app, or "fieldflash site set").',
    )
  }
  return site
}
