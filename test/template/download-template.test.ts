import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import JSZip from 'jszip'
import { describe, expect, it } from 'vitest'
import { addDevice, getDevice } from '../../main/devices/devices'
import { tokenHash, verificationCode } from '../../main/credentials/token-format'
import { regenerateToken } from '../../main/credentials/tokens'
import { downloadTemplate } from '../../main/template/download-template'
import { freshStore, loadCatalog, tempDir } from '../helpers/fixtures'

async function setup(boardId = 'esp32-s3-devkitc-1-n16r8') {
  const { store, dataDir } = await freshStore()
  const catalog = await loadCatalog()
  await addDevice(store, catalog, { uid: 'pump-0001', boardId })
  const outDir = await tempDir('fieldflash-out-')
  return { store, catalog, dataDir, outDir }
}

function macro(header: string, name: string): string {
  const match = new RegExp(`^#define ${name}\\s+(.*)$`, 'm').exec(header)
  if (!match) throw new Error(`${name} missing`)
  return match[1]!.startsWith('"') ? JSON.parse(match[1]!) : match[1]!
}

describe('downloadTemplate', () => {
  it('packs the board project under one top folder named after the device, in a stable order, owner-only', async () => {
    const { store, catalog, outDir } = await setup()
    const result = await downloadTemplate(store, catalog, { uid: 'pump-0001', outDir })
    expect(result.zipPath).toBe(join(outDir, 'pump-0001.zip'))
    expect((await stat(result.zipPath)).mode & 0o777).toBe(0o600)
    const zip = await JSZip.loadAsync(await readFile(result.zipPath))
    const names = Object.keys(zip.files)
    expect(names.every((n) => n.startsWith('pump-0001/'))).toBe(true)
    expect(names).toEqual([...names].sort())
    for (const required of [
      'platformio.ini',
      'include/device_config.h',
      'src/main.cpp',
      'lib/ff_bootstrap/ff_bootstrap.c',
    ]) {
      expect(names).toContain(`pump-0001/${required}`)
    }
    expect(Number(zip.files['pump-0001/include/device_config.h']!.unixPermissions) & 0o777).toBe(
      0o600,
    )
    const ini = await zip.file('pump-0001/platformio.ini')!.async('string')
    expect(ini).toMatch(/board\s*=\s*esp32-s3-devkitc-1/)
    expect(await readdir(outDir)).toEqual(['pump-0001.zip'])
  })

  it('renders the nine values and a token whose hash, fingerprint and code are what the store now holds', async () => {
    const { store, catalog, outDir } = await setup()
    const result = await downloadTemplate(store, catalog, { uid: 'pump-0001', outDir })
    const zip = await JSZip.loadAsync(await readFile(result.zipPath))
    const header = await zip.file('pump-0001/include/device_config.h')!.async('string')
    const device = (await store.device('pump-0001'))!
    expect(macro(header, 'DEVICE_UID')).toBe('pump-0001')
    expect(macro(header, 'PLATFORM_KEY')).toBe('pk_live_8f3a2c')
    expect(macro(header, 'MQTT_HOST')).toBe('mqtt.example.com')
    expect(macro(header, 'MQTT_PORT')).toBe('8883')
    expect(macro(header, 'DEVICE_MQTT_USERNAME')).toBe('dev-pump-0001')
    expect(macro(header, 'DEVICE_MQTT_PASSWORD')).toBe(device.mqtt.password)
    expect(macro(header, 'OTA_BASE_URL')).toBe('https://ota.example.com/firmware/')
    expect(macro(header, 'API_HOST')).toBe('api.example.com')
    const token = macro(header, 'PROVISIONING_TOKEN')
    const current = device.tokens.at(-1)!
    expect(current).toMatchObject({ state: 'issued', origin: 'template', hash: tokenHash(token) })
    expect(result.token.fingerprint).toBe(current.fingerprint)
    expect(result.token.expectedCode).toBe(verificationCode(token, 'pump-0001'))
    await store.close()
    const wal = await readFile(`${store.path}-wal`).catch(() => Buffer.alloc(0))
    expect(Buffer.concat([await readFile(store.path), wal]).includes(token)).toBe(false)
  })

  it('supersedes the token of the previous download', async () => {
    const { store, catalog, outDir } = await setup()
    const first = await downloadTemplate(store, catalog, { uid: 'pump-0001', outDir })
    const second = await downloadTemplate(store, catalog, { uid: 'pump-0001', outDir })
    expect(second.superseded?.fingerprint).toBe(first.token.fingerprint)
    expect((await getDevice(store, 'pump-0001')).tokens.map((t) => t.state)).toEqual([
      'superseded',
      'issued',
    ])
  })

  it('changes nothing and leaves no files behind when the ZIP cannot be put in place', async () => {
    const { store, catalog, outDir } = await setup()
    // A folder where the ZIP should go cannot be replaced by a file.
    await mkdir(join(outDir, 'pump-0001.zip'))
    await writeFile(join(outDir, 'pump-0001.zip', 'keep'), 'x')
    const before = await store.device('pump-0001')
    await expect(
      downloadTemplate(store, catalog, { uid: 'pump-0001', outDir }),
    ).rejects.toMatchObject({
      code: 'io_error',
    })
    expect(await store.device('pump-0001')).toEqual(before)
    expect((await getDevice(store, 'pump-0001')).tokens).toEqual([])
    expect((await readdir(outDir)).sort()).toEqual(['pump-0001.zip'])
  })

  it('changes nothing when the output folder cannot be created', async () => {
    const { store, catalog, outDir } = await setup()
    await writeFile(join(outDir, 'file'), 'x')
    await expect(
      downloadTemplate(store, catalog, {
        uid: 'pump-0001',
        outDir: join(outDir, 'file', 'sub'),
      }),
    ).rejects.toThrow(/Could not write .*pump-0001\.zip.*nothing was changed/)
    expect((await getDevice(store, 'pump-0001')).tokens).toEqual([])
  })

  it('removes the ZIP of the superseded token when the token is regenerated, and says so', async () => {
    const { store, catalog, outDir } = await setup()
    const first = await downloadTemplate(store, catalog, { uid: 'pump-0001', outDir })
    const other = join(await tempDir('fieldflash-out-'), 'copy')
    const second = await downloadTemplate(store, catalog, { uid: 'pump-0001', outDir: other })
    // The first ZIP carried the token the second download superseded.
    expect(await readdir(outDir)).toEqual([])
    const regenerated = await regenerateToken(store, 'pump-0001')
    expect(regenerated.removedFiles).toEqual([second.zipPath])
    expect(await readdir(other)).toEqual([])
    expect(first.zipPath).not.toBe(second.zipPath)
  })

  it('leaves a ZIP the user replaced alone', async () => {
    const { store, catalog, outDir } = await setup()
    const result = await downloadTemplate(store, catalog, { uid: 'pump-0001', outDir })
    await writeFile(result.zipPath, 'my own file now')
    expect((await regenerateToken(store, 'pump-0001')).removedFiles).toEqual([])
    expect(await readFile(result.zipPath, 'utf8')).toBe('my own file now')
  })

  it('asks for the site profile first', async () => {
    const { store } = await freshStore(false)
    const catalog = await loadCatalog()
    await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    await expect(
      downloadTemplate(store, catalog, { uid: 'pump-0001', outDir: await tempDir() }),
    ).rejects.toMatchObject({
      code: 'site_not_configured',
    })
  })
})
