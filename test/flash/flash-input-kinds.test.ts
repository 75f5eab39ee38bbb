import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadCatalog, tempDir, freshStore } from '../helpers/fixtures'
import { addDevice } from '../../main/devices/devices'
import { flashFirmware, prepareFirmware } from '../../main/flash/flash-firmware'
import { startPtyEmulator, type PtyEmulator } from '../../devkit/pty'
import {
  ARDUINO_DEFAULT_4MB,
  espImage,
  mergedImage,
  partitionTable,
  writeFiles,
} from './firmware/firmware-fixtures'

let board: PtyEmulator | null = null
afterEach(async () => {
  await board?.stop()
  board = null
})

const bootloader = espImage({ chipId: 0, segments: [4096, 8192] })
const partitions = partitionTable(ARDUINO_DEFAULT_4MB)
const app = espImage({ chipId: 0, segments: [32_768, 16_384] })
const EXPECTED = [
  { offset: 0x1000, data: bootloader },
  { offset: 0x8000, data: partitions },
  { offset: 0x10000, data: app },
]

/** Each input kind the app accepts, laid out so that the same three images land at the same offsets. */
const INPUTS: Record<string, () => Promise<string>> = {
  'a PlatformIO build folder': async () => {
    const dir = join(await tempDir(), '.pio', 'build', 'esp32-devkitc')
    await writeFiles(dir, {
      'bootloader.bin': bootloader,
      'partitions.bin': partitions,
      'firmware.bin': app,
    })
    return dir
  },
  "ESP-IDF's flasher_args.json": async () => {
    const dir = await tempDir()
    await writeFiles(dir, {
      'flasher_args.json': {
        flash_files: {
          '0x1000': 'bootloader/bootloader.bin',
          '0x8000': 'partition_table/partition-table.bin',
          '0x10000': 'pump.bin',
        },
        flash_settings: { flash_mode: 'dio', flash_size: '4MB', flash_freq: '40m' },
        extra_esptool_args: { chip: 'esp32' },
      },
      'bootloader/bootloader.bin': bootloader,
      'partition_table/partition-table.bin': partitions,
      'pump.bin': app,
    })
    return join(dir, 'flasher_args.json')
  },
  'an ESP Web Tools manifest.json': async () => {
    const dir = await tempDir()
    await writeFiles(dir, {
      'manifest.json': {
        name: 'Pump',
        builds: [
          { chipFamily: 'ESP32-C3', parts: [{ path: 'c3.bin', offset: 0 }] },
          {
            chipFamily: 'ESP32',
            parts: [
              { path: 'bootloader.bin', offset: 0x1000 },
              { path: 'partitions.bin', offset: 0x8000 },
              { path: 'app.bin', offset: 0x10000 },
            ],
          },
        ],
      },
      'c3.bin': espImage({ chipId: 5 }),
      'bootloader.bin': bootloader,
      'partitions.bin': partitions,
      'app.bin': app,
    })
    return join(dir, 'manifest.json')
  },
  'a merged .bin': async () => {
    const dir = await tempDir()
    await writeFiles(dir, { 'merged.bin': mergedImage(EXPECTED) })
    return join(dir, 'merged.bin')
  },
}

describe('flashFirmware over a real pty', () => {
  it.each(Object.keys(INPUTS))(
    'flashes and verifies %s, leaving exactly its images in flash',
    async (kind) => {
      board = await startPtyEmulator({ chip: 'ESP32', mac: '24:0a:c4:01:02:03' })
      const { store } = await freshStore()
      const result = await flashFirmware(
        { store, catalog: await loadCatalog() },
        {
          port: { path: board.clientPath },
          firmwarePath: await INPUTS[kind]!(),
          boardId: 'esp32-devkitc',
          before: 'no_reset',
        },
        () => undefined,
      )
      expect(result, JSON.stringify(result)).toMatchObject({
        ok: true,
        chip: 'ESP32',
        mac: '24:0a:c4:01:02:03',
      })
      for (const { offset, data } of EXPECTED) {
        expect(
          Buffer.from(board.emulator.readFlash(offset, data.length)).equals(Buffer.from(data)),
          `0x${offset.toString(16)}`,
        ).toBe(true)
      }
    },
    60_000,
  )
})

describe('a flash the registry cannot record', () => {
  it('is reported as flashed but not recorded, with the cause, not as a failed flash', async () => {
    board = await startPtyEmulator({ chip: 'ESP32', mac: '24:0a:c4:01:02:03' })
    const { store } = await freshStore()
    const catalog = await loadCatalog()
    await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    // The registry refuses every write after the job took the device's lease (a full disk, a
    // lock held too long).
    const refusing = Object.create(store) as typeof store
    let writes = 0
    refusing.write = (async (fn: Parameters<typeof store.write>[0]) => {
      if (writes++ === 0) return store.write(fn)
      throw new Error('the disk is full.')
    }) as typeof store.write
    const result = await flashFirmware(
      { store: refusing, catalog },
      {
        port: { path: board.clientPath },
        firmwarePath: await INPUTS['a PlatformIO build folder']!(),
        deviceUid: 'pump-0001',
        before: 'no_reset',
      },
      () => undefined,
    )
    expect(result).toMatchObject({ ok: false, code: 'not_recorded' })
    expect(!result.ok && result.message).toMatch(
      /was flashed and verified \(ESP32, MAC 24:0a:c4:01:02:03\), but the flash could not be recorded on pump-0001: the disk is full\./,
    )
    expect((await store.device('pump-0001'))!.flashes).toEqual([])
  }, 60_000)
})

describe('a firmware checked before the port opens', () => {
  it('is the one written, even when its files change after the check', async () => {
    board = await startPtyEmulator({ chip: 'ESP32', mac: '24:0a:c4:01:02:03' })
    const { store } = await freshStore()
    const catalog = await loadCatalog()
    await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    const build = await INPUTS['a PlatformIO build folder']!()
    const prepared = await prepareFirmware(
      { store, catalog },
      { firmwarePath: build, deviceUid: 'pump-0001' },
    )
    expect(prepared.check).toMatchObject({ token: { status: 'none' } })
    // Rebuilt meanwhile (another app, another token): the job writes what was checked.
    await writeFiles(build, { 'firmware.bin': espImage({ chipId: 0, segments: [8_192] }) })
    const result = await flashFirmware(
      { store, catalog },
      {
        port: { path: board.clientPath },
        firmwarePath: build,
        deviceUid: 'pump-0001',
        before: 'no_reset',
        prepared,
      },
      () => undefined,
    )
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true })
    const written = board.emulator.readFlash(0x10000, app.length)
    expect(Buffer.from(written).equals(Buffer.from(app))).toBe(true)
  }, 60_000)
})
