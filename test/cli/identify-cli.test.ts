import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startPtyEmulator, type PtyEmulator } from '../../devkit/pty'
import { siteWithBaseFirmware } from '../helpers/base-firmware-site'
import { tempDir } from '../helpers/fixtures'
import { cli } from '../helpers/run-cli'
import { writeFiles } from '../flash/firmware/firmware-fixtures'

// `fieldflash identify`: which board is this, read back from its flash (partition table, ffcfg
// NVS), judged against the registry and the firmware library; nothing written, no secret shown.

const boards: PtyEmulator[] = []
afterEach(async () => {
  for (const board of boards.splice(0)) await board.stop()
})

async function board(options: Parameters<typeof startPtyEmulator>[0] = {}): Promise<PtyEmulator> {
  const started = await startPtyEmulator({ chip: 'ESP32', mac: '24:0a:c4:aa:bb:cc', ...options })
  boards.push(started)
  return started
}

/** The same board, back in download mode with the flash it had (as after a reset with BOOT held). */
async function again(previous: PtyEmulator): Promise<PtyEmulator> {
  const flash = previous.emulator.readFlash(0, 0x400000)
  const next = await board()
  next.emulator.loadFlash(0, flash)
  return next
}

async function provision(dataDir: string, port: string, uid = 'pump-0001') {
  const run = await cli(
    dataDir,
    '--json',
    'provision',
    '--port',
    port,
    '--device',
    uid,
    '--before',
    'no_reset',
  )
  expect(run.code, run.err).toBe(0)
  return JSON.parse(run.out.trim().split('\n').at(-1)!)
}

async function identify(dataDir: string, port: string, ...flags: string[]) {
  return cli(dataDir, 'identify', '--port', port, '--before', 'no_reset', ...flags)
}

describe('fieldflash identify', () => {
  it('names a board FieldFlash provisioned: its device, its current token, its base firmware', async () => {
    const dataDir = await siteWithBaseFirmware()
    const first = await board()
    const provisioned = await provision(dataDir, first.clientPath)

    const readBack = await again(first)
    const flashBefore = Buffer.from(readBack.emulator.readFlash(0, 0x400000))
    const run = await identify(dataDir, readBack.clientPath, '--json')
    expect(run.code, run.err).toBe(0)
    const result = JSON.parse(run.out.trim().split('\n').at(-1)!)
    const library = JSON.parse((await cli(dataDir, '--json', 'firmware', 'list')).out)
    expect(result).toMatchObject({
      type: 'result',
      ok: true,
      chip: 'ESP32',
      mac: '24:0a:c4:aa:bb:cc',
      security: null,
      config: {
        partition: 'ffcfg',
        offset: 0x3ed000,
        state: 'fieldflash',
        uid: 'pump-0001',
        fingerprint: provisioned.fingerprint,
      },
      device: { uid: 'pump-0001', known: true, boardId: 'esp32-devkitc', token: 'current' },
      firmware: { id: library[0].id },
    })
    expect(result.config.keys).toEqual(expect.arrayContaining(['uid', 'mqtt_pass', 'prov_token']))
    // Nothing was written, and no secret left the board through FieldFlash.
    expect(Buffer.from(readBack.emulator.readFlash(0, 0x400000)).equals(flashBefore)).toBe(true)
    const device = JSON.parse((await cli(dataDir, '--json', 'device', 'show', 'pump-0001')).out)
    const text = (await identify(dataDir, (await again(readBack)).clientPath)).out
    expect(text).toContain('Device: pump-0001 (esp32-devkitc), token')
    expect(text).toContain('current: the board verifies')
    for (const output of [run.out, text]) {
      expect(output).not.toMatch(/ffpt_/)
      expect(output).not.toContain(device.mqttPassword ?? 'never-shown')
    }
  }, 120_000)

  it('says a board carries a superseded token once the device was provisioned again elsewhere', async () => {
    const dataDir = await siteWithBaseFirmware()
    const older = await board()
    await provision(dataDir, older.clientPath)
    await provision(dataDir, (await board()).clientPath)
    const run = await identify(dataDir, (await again(older)).clientPath, '--json')
    expect(JSON.parse(run.out.trim().split('\n').at(-1)!).device).toMatchObject({
      uid: 'pump-0001',
      token: 'superseded',
    })
  }, 120_000)

  it("says so for a blank board and for another installation's board", async () => {
    const dataDir = await siteWithBaseFirmware()
    const blank = await identify(dataDir, (await board()).clientPath)
    expect(blank.code, blank.err).toBe(0)
    expect(blank.out).toContain('No partition table: the board is blank')
    expect(blank.out).toContain('Firmware: none of the library firmware')

    // The same UID, provisioned from another data folder: its token is foreign here.
    const elsewhere = await siteWithBaseFirmware()
    const foreign = await board()
    await provision(elsewhere, foreign.clientPath)
    const run = await identify(dataDir, (await again(foreign)).clientPath)
    expect(run.out).toContain('unknown to this registry')
    const unknownUid = await siteWithBaseFirmware(['tank-0009'])
    const stranger = await identify(unknownUid, (await again(foreign)).clientPath)
    expect(stranger.out).toContain('Device: pump-0001, which this registry does not know')
  }, 120_000)

  it('reports a chip with flash encryption on, and flashing refuses to write it in plaintext', async () => {
    const dataDir = await siteWithBaseFirmware()
    const encrypted = await board({
      chip: 'ESP32-C3',
      mac: '34:85:18:00:00:01',
      security: { flashCryptCnt: 1 },
    })
    const run = await identify(dataDir, encrypted.clientPath, '--json')
    expect(run.code, run.err).toBe(0)
    expect(JSON.parse(run.out.trim().split('\n').at(-1)!).security).toEqual({
      secureBoot: false,
      flashEncryption: true,
      flashCryptCnt: 1,
      secureDownloadMode: false,
    })
    const dir = await tempDir()
    await writeFiles(dir, { 'merged.bin': randomBytes(4096) })
    // The same kind of board, fresh in download mode (identify left the other one's stub running).
    const target = await board({
      chip: 'ESP32-C3',
      mac: '34:85:18:00:00:02',
      security: { flashCryptCnt: 1 },
    })
    const flash = await cli(
      dataDir,
      'flash',
      '--port',
      target.clientPath,
      '--firmware',
      join(dir, 'merged.bin'),
      '--before',
      'no_reset',
    )
    expect(flash.code).toBe(1)
    expect(flash.err).toContain('has flash encryption on (FLASH_CRYPT_CNT 1)')
    expect(flash.err).toContain('Nothing was written')
    expect(target.emulator.commandCount('FLASH_DEFL_BEGIN')).toBe(0)
  }, 120_000)
})
