import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startPtyEmulator, type PtyEmulator } from '../../devkit/pty'
import {
  ARDUINO_DEFAULT_4MB,
  espImage,
  partitionTable,
  writeFiles,
} from '../flash/firmware/firmware-fixtures'
import { tempDir } from '../helpers/fixtures'
import { cli } from '../helpers/run-cli'
import { openStore } from '../helpers/engine'
import { buildFirmwareFromZip } from '../renderer/harness/test-firmware'

let board: PtyEmulator | null = null
afterEach(async () => {
  await board?.stop()
  board = null
})

/** A PlatformIO build folder for an ESP32 (.pio/build/<env>), without boot_app0 as PlatformIO leaves it. */
async function platformioBuild(): Promise<string> {
  const dir = join(await tempDir('fieldflash-pio-'), '.pio', 'build', 'esp32-devkitc')
  await writeFiles(dir, {
    'bootloader.bin': espImage({ chipId: 0, segments: [4096, 8192] }),
    'partitions.bin': partitionTable(ARDUINO_DEFAULT_4MB),
    'firmware.bin': espImage({ chipId: 0, segments: [32_768, 32_768, 16_384] }),
  })
  return dir
}

/** A registry with pump-0001 and a PlatformIO build for it; `flash` runs it onto `port`. */
async function deviceAndBuild(): Promise<{
  flash: (port: string, ...extra: string[]) => ReturnType<typeof cli>
  dataDir: string
}> {
  const dataDir = await tempDir()
  await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')
  const firmware = await platformioBuild()
  return {
    dataDir,
    flash: (port, ...extra) =>
      cli(
        dataDir,
        'flash',
        '--port',
        port,
        '--firmware',
        firmware,
        '--device',
        'pump-0001',
        '--before',
        'no_reset',
        ...extra,
      ),
  }
}

describe('fieldflash flash', () => {
  it('flashes a PlatformIO build over a real pty, streams JSON progress, and records chip and MAC on the device', async () => {
    board = await startPtyEmulator({ chip: 'ESP32', mac: '24:0a:c4:aa:bb:cc' })
    const { dataDir, flash } = await deviceAndBuild()
    const run = await flash(board.clientPath, '--json')
    expect(run.err).toBe('')
    expect(run.code).toBe(0)
    const lines = run.out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines.some((l) => l.type === 'progress')).toBe(true)
    const result = lines.at(-1)
    expect(result).toMatchObject({
      type: 'result',
      ok: true,
      chip: 'ESP32',
      mac: '24:0a:c4:aa:bb:cc',
    })
    expect(result.parts.map((p: { offset: number }) => p.offset)).toEqual([
      0x1000, 0x8000, 0xe000, 0x10000,
    ])
    expect(result.parts.every((p: { md5: string }) => /^[0-9a-f]{32}$/.test(p.md5))).toBe(true)
    const record = (await (await openStore(dataDir)).device('pump-0001'))!
    expect(record.flashes).toHaveLength(1)
    expect(record.flashes[0]).toMatchObject({
      chip: 'ESP32',
      mac: '24:0a:c4:aa:bb:cc',
      port: board.clientPath,
      firmwareSha256: result.firmwareSha256,
    })
  }, 60_000)

  it('steps down a rate when blocks fail mid-write on a marginal link, says so, and finishes', async () => {
    board = await startPtyEmulator({
      chip: 'ESP32',
      faults: { corruptLongFrames: { longerThan: 256, aboveBaud: 460800 } },
    })
    const { flash } = await deviceAndBuild()
    const run = await flash(board.clientPath, '--baud', '921600')
    expect(run.code).toBe(0)
    expect(run.err).toMatch(
      /^warning: Writing bootloader\.bin failed \(.+\) at 921600 baud; continuing at 460800 baud\.$/m,
    )
    expect(board.emulator.corruptedFrameCount).toBeGreaterThan(0)
    expect(run.out).toMatch(/460800 baud/)
  }, 60_000)

  it('names the chip mismatch and exits 1 without writing', async () => {
    board = await startPtyEmulator({ chip: 'ESP32-C3' })
    const dataDir = await tempDir()
    const run = await cli(
      dataDir,
      'flash',
      '--port',
      board.clientPath,
      '--firmware',
      await platformioBuild(),
      '--board',
      'esp32-devkitc',
      '--before',
      'no_reset',
    )
    expect(run.code).toBe(1)
    expect(run.err).toMatch(/has an ESP32-C3, but ESP32-DevKitC \(ESP32\) is selected/)
    expect(board.emulator.commandCount('FLASH_DEFL_BEGIN')).toBe(0)
  }, 30_000)

  it('rejects a bad baud rate and a broken image as bad input before opening the port', async () => {
    const dataDir = await tempDir()
    const firmware = await platformioBuild()
    const baud = await cli(
      dataDir,
      'flash',
      '--port',
      '/dev/nonexistent',
      '--firmware',
      firmware,
      '--board',
      'esp32-devkitc',
      '--baud',
      '12345',
    )
    expect(baud.code).toBe(2)
    expect(baud.err).toMatch(/baud: must be one of/)
    await writeFiles(firmware, { 'firmware.bin': new Uint8Array([1, 2, 3, 4]) })
    const broken = await cli(
      dataDir,
      'flash',
      '--port',
      '/dev/nonexistent',
      '--firmware',
      firmware,
      '--board',
      'esp32-devkitc',
    )
    expect(broken.err).toMatch(/firmware\.bin/)
    expect(broken.code, broken.err).toBe(2)
  })

  it('says the port is missing when nothing is plugged in there', async () => {
    const dataDir = await tempDir()
    const run = await cli(
      dataDir,
      'flash',
      '--port',
      '/dev/ttyFIELDFLASH9',
      '--firmware',
      await platformioBuild(),
      '--board',
      'esp32-devkitc',
      '--before',
      'no_reset',
    )
    expect(run.code).toBe(1)
    expect(run.err).toContain('There is no serial port at /dev/ttyFIELDFLASH9')
    // The CLI's own next step, not the app's ("choose its port again").
    expect(run.err).toContain('"fieldflash ports" lists the serial ports there are.')
    expect(run.err).not.toMatch(/choose|not there any more/i)
  })
})

describe('fieldflash flash --device, checking the token the firmware carries', () => {
  it('refuses a firmware built from a superseded template before anything is written, unless told to go on', async () => {
    board = await startPtyEmulator({ chip: 'ESP32', mac: '24:0a:c4:aa:bb:cc' })
    const dataDir = await tempDir()
    const site = [
      ['--platform-key', 'pk_test_1'],
      ['--api-host', 'api.example.com'],
      ['--mqtt-host', 'mqtt.example.com'],
      ['--mqtt-port', '8883'],
      ['--ota-base-url', 'https://ota.example.com/fw'],
    ].flat()
    expect((await cli(dataDir, 'site', 'set', ...site)).code).toBe(0)
    await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')
    const zip = JSON.parse(
      (await cli(dataDir, 'template', 'pump-0001', '--out', await tempDir(), '--json')).out,
    )
    const firmware = await buildFirmwareFromZip(zip.zipPath)
    expect((await cli(dataDir, 'token', 'regenerate', 'pump-0001')).code).toBe(0)

    const flash = (...extra: string[]) =>
      cli(
        dataDir,
        'flash',
        '--port',
        board!.clientPath,
        '--firmware',
        firmware,
        '--device',
        'pump-0001',
        '--before',
        'no_reset',
        ...extra,
      )
    const refused = await flash()
    expect(refused.code).toBe(1)
    expect(refused.err).toMatch(
      new RegExp(`token ${zip.fingerprint} of pump-0001, which is superseded`),
    )
    expect(refused.err).toMatch(
      /Nothing was written\. To flash it anyway, add --accept-token-mismatch/,
    )
    let device = JSON.parse((await cli(dataDir, 'device', 'show', 'pump-0001', '--json')).out)
    expect(device.flashes).toEqual([])

    const insisted = await flash('--accept-token-mismatch')
    expect(insisted.code, insisted.err).toBe(0)
    expect(insisted.err).toMatch(/warning: .*superseded/)
    device = JSON.parse((await cli(dataDir, 'device', 'show', 'pump-0001', '--json')).out)
    expect(device.flashes).toHaveLength(1)
  }, 60_000)
})
