import { requireSiteProfile } from '../site/site-profile'
import type { StoreReader, StoreWriter } from '../store/store'
import type { DeviceRecord, SiteProfile, TokenOrigin } from '../store/records'
import { requireDevice } from '../store/require-device'
import { removeOutdatedFiles } from './outdated-files'
import { mintToken } from './tokens'
import type { MintedToken } from './token-types'

// A credential (a template ZIP, a config partition) is rendered with a fresh token from the
// registry's values before that token is committed: the rendering may fail, take a while, or never
// reach its destination. The token becomes the device's current one only in the transaction below,
// and only if the values it was rendered with are still the registry's.

/** The registry's values a credential is rendered from. */
export interface RenderInputs {
  site: SiteProfile
  device: DeviceRecord
}

/** The device's and the site's values now. */
export async function readRenderInputs(tx: StoreReader, uid: string): Promise<RenderInputs> {
  return { site: await requireSiteProfile(tx), device: await requireDevice(tx, uid) }
}

/** The values rendered with a token are still the registry's. */
export function sameInputs(a: RenderInputs, b: RenderInputs): boolean {
  return (
    a.device.mqtt.password === b.device.mqtt.password &&
    a.device.mqtt.username === b.device.mqtt.username &&
    a.device.boardId === b.device.boardId &&
    a.site.platformKey === b.site.platformKey &&
    a.site.apiHost === b.site.apiHost &&
    a.site.mqttHost === b.site.mqttHost &&
    a.site.mqttPort === b.site.mqttPort &&
    a.site.otaBaseUrl === b.site.otaBaseUrl &&
    a.site.wifi?.ssid === b.site.wifi?.ssid &&
    a.site.wifi?.password === b.site.wifi?.password
  )
}

/**
 * Inside a write transaction: makes `token` the device's current token (superseding the previous
 * one, removing the files FieldFlash wrote with older tokens) if the values it was rendered with
 * are still the registry's. Otherwise changes nothing and answers the values now.
 */
export async function commitRenderedToken(
  tx: StoreWriter,
  rendered: RenderInputs,
  token: string,
  origin: TokenOrigin,
  now: Date,
): Promise<{ minted: MintedToken } | { changed: RenderInputs }> {
  const current = await readRenderInputs(tx, rendered.device.uid)
  if (!sameInputs(rendered, current)) return { changed: current }
  const change = mintToken(current.device, current.site.tokenLifetimeHours, origin, now, token)
  await tx.saveDevice(current.device, change.next)
  await tx.audit(change.audit)
  await removeOutdatedFiles(tx, current.device.uid, change.minted.view.fingerprint)
  return { minted: change.minted }
}
