import { rm, stat, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  APP,
  ARDUINO_DEFAULT_4MB,
  DATA,
  FACTORY,
  NVS,
  espImage,
  singleSegmentImage,
  FIELDFLASH_4MB,
  partitionTable,
  writeFiles,
} from '../flash/firmware/firmware-fixtures'
import { SAMPLE_SITE_FLAGS, tempDir } from '../helpers/fixtures'
import { cli } from '../helpers/run-cli'

/** A PlatformIO build folder of an ESP32 base firmware with the given partition table. */
async function build(
  table = FIELDFLASH_4MB,
  app = espImage({ chipId: 0, segments: [32_768, 16_384] }),
) {
  const dir = join(await tempDir('fieldflash-pio-'), '.pio', 'build', 'generic')
  await writeFiles(dir, {
    'bootloader.bin': espImage({ chipId: 0, segments: [4096, 8192] }),
    'partitions.bin': partitionTable(table),
    'firmware.bin': app,
  })
  return dir
}

interface Entry {
  id: string
  sha256: string
  boardId: string
  config: { label: string; offset: number; size: number }
  created?: boolean
}

/** An app whose first segment starts with ESP-IDF's app description (esp_app_desc_t). */
function appWithVersion(version: string): Uint8Array {
  const segment = Buffer.alloc(256)
  segment.writeUInt32LE(0xabcd5432, 0)
  segment.write(version, 16, 'utf8')
  segment.write('fieldflash-generic', 48, 'utf8')
  return singleSegmentImage(segment, 0x3f400020)
}

describe('fieldflash firmware', () => {
  it('reads the version the app image declares', async () => {
    const dataDir = await tempDir()
    const firmware = await build(FIELDFLASH_4MB, appWithVersion('1.4.2'))
    const run = await cli(
      dataDir,
      'firmware',
      'import',
      firmware,
      '--board',
      'esp32-devkitc',
      '--json',
    )
    expect(run.code, run.err).toBe(0)
    expect(JSON.parse(run.out)).toMatchObject({ version: '1.4.2', chip: 'ESP32' })
  })

  it('imports a base firmware once, with its config partition found in its own table', async () => {
    const dataDir = await tempDir()
    const firmware = await build()
    const first = await cli(
      dataDir,
      'firmware',
      'import',
      firmware,
      '--board',
      'esp32-devkitc',
      '--json',
    )
    expect(first.code, first.err).toBe(0)
    const entry = JSON.parse(first.out) as Entry
    expect(entry).toMatchObject({
      boardId: 'esp32-devkitc',
      created: true,
      config: { label: 'ffcfg', offset: 0x3ed000, size: 0x3000 },
    })
    expect(entry.id).toBe(entry.sha256.slice(0, 12))

    const again = await cli(
      dataDir,
      'firmware',
      'import',
      firmware,
      '--board',
      'esp32-devkitc',
      '--json',
    )
    expect(JSON.parse(again.out)).toMatchObject({ sha256: entry.sha256, created: false })
    const list = JSON.parse((await cli(dataDir, 'firmware', 'list', '--json')).out) as Entry[]
    expect(list.map((f) => f.sha256)).toEqual([entry.sha256])
    expect((await cli(dataDir, 'firmware', 'list')).out).toMatch(
      new RegExp(`^${entry.id}  esp32-devkitc .* config "ffcfg" at 0x3ed000 \\(0x3000\\)`),
    )

    const removed = await cli(dataDir, 'firmware', 'remove', entry.id)
    expect(removed.code, removed.err).toBe(0)
    expect(JSON.parse((await cli(dataDir, 'firmware', 'list', '--json')).out)).toEqual([])
    expect((await cli(dataDir, 'firmware', 'remove', entry.id)).code).toBe(2)
  })

  it('refuses a firmware without ffcfg, saying what to add, unless the config may go into nvs', async () => {
    const dataDir = await tempDir()
    const firmware = await build(ARDUINO_DEFAULT_4MB)
    const refused = await cli(dataDir, 'firmware', 'import', firmware, '--board', 'esp32-devkitc')
    expect(refused.code).toBe(2)
    expect(refused.err).toMatch(
      /has no "ffcfg" partition\. Add the line "ffcfg, data, nvs, , 0x3000,"/,
    )
    expect(JSON.parse((await cli(dataDir, 'firmware', 'list', '--json')).out)).toEqual([])

    const nvs = await cli(
      dataDir,
      'firmware',
      'import',
      firmware,
      '--board',
      'esp32-devkitc',
      '--config-partition',
      'nvs',
      '--json',
    )
    expect(nvs.code, nvs.err).toBe(0)
    expect(nvs.err).toMatch(/warning: .*erases the board's saved Wi-Fi, PHY calibration/)
    expect(JSON.parse(nvs.out).config).toEqual({ label: 'nvs', offset: 0x9000, size: 0x5000 })
  })

  it("refuses a firmware built from one device's template: a base firmware holds no device's token", async () => {
    const dataDir = await tempDir()
    const token = 'ffpt_z7q5m49tb2fr7md1gswjdzcm8qs5njpz6j7dwqdxaqjgaw90q19g2a4aqpy'
    const segment = new Uint8Array(4096)
    segment.set(new TextEncoder().encode(`#define PROVISIONING_TOKEN "${token}"`), 100)
    const withToken = singleSegmentImage(segment, 0x3f400020)
    const run = await cli(
      dataDir,
      'firmware',
      'import',
      await build(FIELDFLASH_4MB, withToken),
      '--board',
      'esp32-devkitc',
    )
    expect(run.code).toBe(2)
    expect(run.err).toMatch(/carries a provisioning token .*built from one device's template/)
    expect(run.err).not.toContain(token)
  })

  it('refuses a firmware for the wrong chip and an ESP8266 board', async () => {
    const dataDir = await tempDir()
    const wrongChip = await cli(
      dataDir,
      'firmware',
      'import',
      await build(),
      '--board',
      'esp32-c3-devkitm-1',
    )
    expect(wrongChip.code).not.toBe(0)
    const esp8266 = await cli(
      dataDir,
      'firmware',
      'import',
      await build(),
      '--board',
      'esp8266-nodemcuv2',
    )
    expect(esp8266.code).toBe(2)
    expect(esp8266.err).toMatch(/ESP8266: it has no NVS/)
    expect(JSON.parse((await cli(dataDir, 'firmware', 'list', '--json')).out)).toEqual([])
  })
})

describe('fieldflash firmware import refuses firmware that cannot be right', () => {
  const BOOTLOADER = espImage({ chipId: 0, segments: [4096] })
  const APP_IMAGE = espImage({ chipId: 0, segments: [8192] })

  /** An ESP Web Tools manifest whose app part is `appPath`, beside the usual parts. */
  async function manifest(appPath: string, files: Record<string, Uint8Array> = {}, chip = 'ESP32') {
    const dir = await tempDir('fieldflash-ewt-')
    await writeFiles(dir, {
      'manifest.json': {
        name: 'base',
        builds: [
          {
            chipFamily: chip,
            parts: [
              { path: 'bootloader.bin', offset: 0x1000 },
              { path: 'partitions.bin', offset: 0x8000 },
              { path: appPath, offset: 0x10000 },
            ],
          },
        ],
      },
      'bootloader.bin': BOOTLOADER,
      'partitions.bin': partitionTable(FIELDFLASH_4MB),
      ...files,
    })
    return dir
  }

  /** Imports `path`; expects exit 2, the message's parts on stderr and nothing in the library. */
  async function expectRefused(path: string, ...says: string[]) {
    const dataDir = await tempDir()
    const run = await cli(dataDir, 'firmware', 'import', path, '--board', 'esp32-devkitc')
    expect(run.code, run.err).toBe(2)
    for (const part of says) expect(run.err).toContain(part)
    expect(JSON.parse((await cli(dataDir, 'firmware', 'list', '--json')).out)).toEqual([])
    return run
  }

  it('refuses a part path that climbs out of the manifest folder', async () => {
    const dir = await manifest('../../../../etc/passwd')
    await expectRefused(
      dir,
      `${join(dir, 'manifest.json')}: part path "../../../../etc/passwd" leaves the folder of manifest.json`,
    )
  })

  it('refuses an absolute part path', async () => {
    const dir = await manifest('/etc/hostname')
    await expectRefused(dir, 'part path "/etc/hostname" is absolute')
  })

  it('refuses a part that is a link to a file outside the folder', async () => {
    const dir = await manifest('app.bin')
    await symlink('/etc/hostname', join(dir, 'app.bin'))
    await expectRefused(dir, `part ${join(dir, 'app.bin')} is a link to /etc/hostname, outside`)
  })

  it('refuses a link out of a PlatformIO build folder', async () => {
    const dir = await build()
    await rm(join(dir, 'firmware.bin'))
    await symlink('/etc/hostname', join(dir, 'firmware.bin'))
    await expectRefused(dir, 'is a link to /etc/hostname, outside')
  })

  it('refuses an app part that is not an ESP application image', async () => {
    const dir = await manifest('app.bin', { 'app.bin': Buffer.from('not an app image') })
    await expectRefused(dir, `${join(dir, 'app.bin')} (the app at 0x10000)`, 'ESP firmware image')
  })

  it('refuses a data part written where the board boots its app', async () => {
    const dir = await tempDir('fieldflash-idf-')
    await writeFiles(dir, {
      'flasher_args.json': {
        flash_files: {
          '0x1000': 'bootloader.bin',
          '0x8000': 'partitions.bin',
          '0x150000': 'data.bin',
        },
      },
      'bootloader.bin': BOOTLOADER,
      'partitions.bin': partitionTable(FIELDFLASH_4MB),
      // The app1 partition (ota_1) starts at 0x150000.
      'data.bin': Buffer.alloc(64, 0x42),
    })
    await expectRefused(dir, `(in app partition "app1")`, 'not an ESP firmware image')
  })

  it('refuses an app whose appended SHA-256 does not match', async () => {
    const app = espImage({ chipId: 0, segments: [8192], hashAppended: true })
    app[app.length - 1] = app.at(-1)! ^ 0xff
    await expectRefused(await build(FIELDFLASH_4MB, app), 'SHA-256 digest does not match')
  })

  it('refuses a partition table whose ffcfg overlaps the factory app', async () => {
    const table = [
      { label: 'nvs', type: DATA, subtype: NVS, offset: 0x9000, size: 0x5000 },
      { label: 'factory', type: APP, subtype: FACTORY, offset: 0x10000, size: 0x100000 },
      { label: 'ffcfg', type: DATA, subtype: NVS, offset: 0x20000, size: 0x3000 },
    ]
    await expectRefused(
      await build(table),
      'partitions.bin: partition "ffcfg" (nvs at 0x20000, 12288 bytes) overlaps "factory"',
    )
  })

  it('refuses a partition over the bootloader and the table', async () => {
    const table = [
      { label: 'nvs', type: DATA, subtype: NVS, offset: 0x6000, size: 0x5000 },
      { label: 'factory', type: APP, subtype: FACTORY, offset: 0x10000, size: 0x100000 },
      { label: 'ffcfg', type: DATA, subtype: NVS, offset: 0x3ed000, size: 0x3000 },
    ]
    await expectRefused(await build(table), 'starts before 0x9000, over the bootloader')
  })

  it('refuses an app larger than its partition', async () => {
    const table = [
      { label: 'nvs', type: DATA, subtype: NVS, offset: 0x9000, size: 0x5000 },
      { label: 'factory', type: APP, subtype: FACTORY, offset: 0x10000, size: 0x1000 },
      { label: 'ffcfg', type: DATA, subtype: NVS, offset: 0x3ed000, size: 0x3000 },
    ]
    await expectRefused(await build(table), 'firmware.bin is ', 'holds only 4096 bytes')
  })

  it('refuses a partition table reaching beyond the board’s flash', async () => {
    const table = [
      { label: 'nvs', type: DATA, subtype: NVS, offset: 0x9000, size: 0x5000 },
      { label: 'factory', type: APP, subtype: FACTORY, offset: 0x10000, size: 0x100000 },
      { label: 'ffcfg', type: DATA, subtype: NVS, offset: 0x7ed000, size: 0x3000 },
    ]
    await expectRefused(await build(table), 'partition "ffcfg" ends at 0x7f0000, beyond')
  })

  it('refuses a manifest for another chip', async () => {
    const dir = await manifest('app.bin', { 'app.bin': APP_IMAGE }, 'ESP32-S3')
    await expectRefused(dir, 'has builds for ESP32-S3, but none for the board', 'ESP32')
  })
})

describe('fieldflash config-partition refuses a size that cannot be right', () => {
  it.each([
    ['0x100000000', 'must be a multiple of 0x1000 bytes from 0x3000 to 0x8000000'],
    ['0x800000', "must fit ESP32-DevKitC's 4MB flash (at most 0x400000 bytes)"],
    ['0x2000', 'must be a multiple of 0x1000 bytes from 0x3000'],
  ])('--size %s exits 2 and writes nothing', async (size, rule) => {
    const dataDir = await tempDir()
    const out = join(await tempDir(), 'ffcfg.bin')
    await cli(dataDir, 'site', 'set', ...SAMPLE_SITE_FLAGS)
    await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')
    const run = await cli(dataDir, 'config-partition', 'pump-0001', '--out', out, '--size', size)
    expect(run.code, run.err).toBe(2)
    expect(run.err).toContain(rule)
    await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' })
    const device = JSON.parse((await cli(dataDir, 'device', 'show', 'pump-0001', '--json')).out)
    expect(device.tokens).toEqual([])
  })
})
