import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { saveSiteProfile } from '../../main/site/site-profile'
import { FieldFlashStore, type StoreBackendFactory } from '../../main/store/store'
import { freshStore, SAMPLE_SITE, tempDir } from '../helpers/fixtures'

describe('FieldFlashStore', () => {
  it('persists across reopening, in an owner-only file inside an owner-only folder', async () => {
    const { store, dataDir } = await freshStore()
    expect(store.path).toBe(join(dataDir, 'fieldflash.json'))
    expect((await stat(store.path)).mode & 0o777).toBe(0o600)
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700)
    expect(FieldFlashStore.open(dataDir).read().site?.apiHost).toBe(SAMPLE_SITE.apiHost)
  })

  it('moves a corrupt data file aside and says where, instead of silently starting over', async () => {
    const dataDir = await tempDir()
    await writeFile(join(dataDir, 'fieldflash.json'), '{"schemaVersion": 1, "devices": {', {
      mode: 0o600,
    })
    expect(() => FieldFlashStore.open(dataDir)).toThrow(
      /cannot be read: it is not valid JSON.*moved to/,
    )
    const files = await readdir(dataDir)
    const aside = files.find((f) => f.startsWith('fieldflash.json.corrupt-'))!
    expect(aside).toBeDefined()
    expect(await readFile(join(dataDir, aside), 'utf8')).toBe('{"schemaVersion": 1, "devices": {')
  })

  it('refuses a JSON file that is not a FieldFlash document', async () => {
    const dataDir = await tempDir()
    await writeFile(join(dataDir, 'fieldflash.json'), '{"schemaVersion": 7, "devices": []}')
    let error: unknown
    try {
      FieldFlashStore.open(dataDir)
    } catch (e) {
      error = e
    }
    expect(error).toMatchObject({ code: 'store_corrupt' })
  })

  it('keeps memory and file unchanged when a write fails', async () => {
    const dataDir = await tempDir()
    let failWrites = false
    const flaky: StoreBackendFactory = (options) => {
      let content: Record<string, unknown> = {}
      return {
        path: join(options.cwd, `${options.configName}.json`),
        get store() {
          return content
        },
        set store(value) {
          if (failWrites) throw Object.assign(new Error('no space'), { code: 'ENOSPC' })
          content = value
        },
      }
    }
    const store = FieldFlashStore.open(dataDir, flaky)
    saveSiteProfile(store, SAMPLE_SITE)
    failWrites = true
    expect(() => saveSiteProfile(store, { ...SAMPLE_SITE, mqttPort: 1883 })).toThrow(
      /Could not save .*ENOSPC.*Nothing was changed/,
    )
    expect(store.read().site?.mqttPort).toBe(8883)
  })
})
