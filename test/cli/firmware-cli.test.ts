import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  ARDUINO_DEFAULT_4MB,
  espImage,
  singleSegmentImage,
  FIELDFLASH_4MB,
  partitionTable,
  writeFiles,
} from '../flash/firmware/firmware-fixtures'
import { tempDir } from '../helpers/fixtures'
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
