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
}
