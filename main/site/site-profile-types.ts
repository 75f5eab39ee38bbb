// No Node imports here: the renderer sees this type through the IPC contract.

/** Where the devices of one site connect: entered once, rendered into every device_config.h. */
export interface SiteProfile {
  platformKey: string
  apiHost: string
  mqttHost: string
  mqttPort: number
  otaBaseUrl: string
  /** How long a minted provisioning token stays valid. */
  tokenLifetimeHours: number
  /**
   * The site's Wi-Fi, written into config partitions, or null. The password is a secret: kept
   * like the MQTT passwords, never logged or shown again.
   */
  wifi: { ssid: string; password: string } | null
}

/** The site profile as the user may see it: the Wi-Fi password is not there. */
export type SiteProfileView = Omit<SiteProfile, 'wifi'> & {
  wifi: { ssid: string; open: boolean } | null
}
