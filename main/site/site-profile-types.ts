// No Node imports here: the renderer sees this type through the IPC contract.

import type { SiteProfile } from '../store/records'

export type { SiteProfile }

/** The site profile as the user may see it: the Wi-Fi password is not there. */
export type SiteProfileView = Omit<SiteProfile, 'wifi'> & {
  wifi: { ssid: string; open: boolean } | null
}
