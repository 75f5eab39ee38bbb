import type { DeviceRecord, SiteProfile } from '../store/records'
import { openedSecret } from '../store/sealed'

/**
 * The nine values every device carries (docs/protocol.md), whether rendered into
 * include/device_config.h or written into the `ffcfg` config partition, plus the site's Wi-Fi.
 * Holds secrets (the MQTT password and the token): never log it.
 */
export interface DeviceValues {
  deviceUid: string
  platformKey: string
  mqttHost: string
  mqttPort: number
  mqttUsername: string
  mqttPassword: string
  otaBaseUrl: string
  apiHost: string
  provisioningToken: string
  /** The site's Wi-Fi, when it has one (the config partition carries it; the header does not). */
  wifi: { ssid: string; password: string } | null
}

/** A device's values from the registry's records and the token just minted for it. */
export function deviceValues(site: SiteProfile, device: DeviceRecord, token: string): DeviceValues {
  return {
    deviceUid: device.uid,
    platformKey: site.platformKey,
    mqttHost: site.mqttHost,
    mqttPort: site.mqttPort,
    mqttUsername: device.mqtt.username,
    mqttPassword: openedSecret(device.mqtt.password, `${device.uid}'s MQTT password`),
    otaBaseUrl: site.otaBaseUrl,
    apiHost: site.apiHost,
    provisioningToken: token,
    wifi: site.wifi && {
      ssid: site.wifi.ssid,
      password: openedSecret(site.wifi.password, "the site's Wi-Fi password"),
    },
  }
}
