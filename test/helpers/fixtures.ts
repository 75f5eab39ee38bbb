import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach } from 'vitest'
import { BoardCatalog, resourcePaths } from '../../main/boards/catalog'
import { saveSiteProfile } from '../../main/site/site-profile'
import type { FieldFlashStore } from '../../main/store/store'
import { openStore } from './engine'

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..')
export const RESOURCES_DIR = join(REPO_ROOT, 'resources')

const cleanups: string[] = []
afterEach(async () => {
  for (const dir of cleanups.splice(0)) await rm(dir, { recursive: true, force: true })
})

/** A fresh temporary directory, removed after the test. */
export async function tempDir(label = 'fieldflash-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), label))
  cleanups.push(dir)
  return dir
}

export const SAMPLE_SITE = {
  platformKey: 'pk_live_8f3a2c',
  apiHost: 'api.example.com',
  mqttHost: 'mqtt.example.com',
  mqttPort: 8883,
  otaBaseUrl: 'https://ota.example.com/firmware/',
}

/** SAMPLE_SITE as `fieldflash site set` flags. */
export const SAMPLE_SITE_FLAGS = [
  ['--platform-key', SAMPLE_SITE.platformKey],
  ['--api-host', SAMPLE_SITE.apiHost],
  ['--mqtt-host', SAMPLE_SITE.mqttHost],
  ['--mqtt-port', String(SAMPLE_SITE.mqttPort)],
  ['--ota-base-url', SAMPLE_SITE.otaBaseUrl],
].flat()

/** The board catalog the app ships. */
export function loadCatalog(): Promise<BoardCatalog> {
  return BoardCatalog.load(resourcePaths(RESOURCES_DIR))
}

/** A store in a fresh data directory, with the sample site profile unless `site` is false. */
export async function freshStore(
  site = true,
): Promise<{ store: FieldFlashStore; dataDir: string }> {
  const dataDir = await tempDir('fieldflash-data-')
  const store = await openStore(dataDir)
  if (site) await saveSiteProfile(store, SAMPLE_SITE)
  return { store, dataDir }
}
