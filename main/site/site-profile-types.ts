// No Node imports here: the renderer sees this type through the IPC contract.

import type { SiteProfile } from '../store/records'

export type { SiteProfile }

/** The site profile as the user may see it: the Wi-Fi password is not there. */
export type SiteProfileView = Omit<SiteProfile, 'wifi'> & {
  wifi: { ssid: string; open: boolean } | null
}

/** The fields a user fills in, as the CLI's options and the form's inputs name them. */
export const SITE_FIELDS = [
  'platformKey',
  'apiHost',
  'mqttHost',
  'mqttPort',
  'otaBaseUrl',
  'tokenLifetimeHours',
  'registrationLifetimeDays',
  'wifiSsid',
  'wifiPassword',
] as const
export type SiteField = (typeof SITE_FIELDS)[number]

/** Per-field problems: the rule each field breaks, absent when the field is fine. */
export type SiteProblems = Partial<Record<SiteField, string>>

/** The site form as typed: text fields, and the Wi-Fi as a choice of none, open or WPA. */
export type SiteDraft = {
  [K in Exclude<SiteField, 'wifiSsid' | 'wifiPassword'>]?: string | number
} & {
  wifiMode?: 'none' | 'open' | 'password'
  wifiSsid?: string
  /** Empty with `password`: keep the saved one. */
  wifiPassword?: string
}
