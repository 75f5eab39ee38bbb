import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startPtyEmulator, type PtyEmulator } from '../../devkit/pty'
import type { FaultOptions } from '../../devkit/emulator/rom-loader-emulator'
import { wiredAccess } from '../../devkit/wired-access'
import { runCli } from '../../main/cli/cli'
import { siteWithBaseFirmware, siteWithHostFirmware } from '../helpers/base-firmware-site'
import { tempDir } from '../helpers/fixtures'
import { cli } from '../helpers/run-cli'
import { BenchBoard } from '../renderer/harness/bench-board'

// `fieldflash station` on several emulated boards at once, each behind its own pty with its reset
// circuit wired: every board is read back, given its own device, provisioned; one that is
// unplugged mid-flash fails alone; each result is appended to the CSV as the board ends.

const boards: PtyEmulator[] = []
afterEach(async () => {
  for (const board of boards.splice(0)) await board.stop()
})

async function wiredBoard(mac: string, faults?: FaultOptions) {
  const board = await startPtyEmulator({ chip: 'ESP32', mac, wired: true, faults })
  boards.push(board)
  return board
}

async function station(dataDir: string, ...argv: string[]) {
  let out = ''
  let err = ''
  const code = await runCli(
    ['station', ...argv, '--data-dir', dataDir],
    { out: (t) => (out += t), err: (t) => (err += t) },
    {},
    undefined,
    wiredAccess(() => boards),
  )
  return { code, out, err }
}

async function libraryId(dataDir: string): Promise<string> {
  return JSON.parse((await cli(dataDir, '--json', 'firmware', 'list')).out)[0].id
}

function csvRows(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split('\n')
  const names = header!.split(',')
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], v])))
}

describe('fieldflash station', () => {
  it('provisions a board on each port with its own device; one unplugged mid-flash fails alone', async () => {
    const dataDir = await siteWithBaseFirmware([])
    const a = await wiredBoard('24:0a:c4:00:00:0a')
    const b = await wiredBoard('24:0a:c4:00:00:0b')
    const c = await wiredBoard('24:0a:c4:00:00:0c', { unplugAfterBytesReceived: 60_000 })
    const results = join(await tempDir(), 'results.csv')

    const run = await station(
      dataDir,
      '--firmware',
      await libraryId(dataDir),
      '--lot',
      'line3-{seq:03}',
      '--ports',
      [a, b, c].map((x) => x.clientPath).join(','),
      '--until',
      'flashed',
      '--count',
      '3',
      '--results',
      results,
      '--json',
    )
    expect(run.code, run.err).toBe(1)

    const rows = csvRows(await readFile(results, 'utf8'))
    expect(rows).toHaveLength(3)
    const byPort = Object.fromEntries(rows.map((r) => [r.port, r]))
    for (const ok of [a, b]) {
      expect(byPort[ok.clientPath]).toMatchObject({
        outcome: 'done',
        reached: 'flashed',
        chip: 'ESP32',
      })
    }
    expect(byPort[c.clientPath]).toMatchObject({ outcome: 'failed', error_code: 'device_lost' })
    expect(byPort[a.clientPath]!.mac).toBe('24:0a:c4:00:00:0a')
    // Every board its own device, each carrying that device's current token.
    const devices = rows.map((r) => r.device)
    expect(new Set(devices).size).toBe(3)
    for (const row of rows.filter((r) => r.outcome === 'done')) {
      const device = JSON.parse((await cli(dataDir, '--json', 'device', 'show', row.device!)).out)
      expect(device.currentToken).toMatchObject({
        fingerprint: row.token_fingerprint,
        expectedCode: row.code,
      })
      expect(device.status).toBe('flashed')
    }
    // JSON lines: one per stage change and end, ending with the totals.
    const events = run.out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(events.at(-1)).toMatchObject({
      type: 'totals',
      totals: { done: 2, failed: 1, skipped: 0 },
    })
  }, 120_000)

  it('skips a board that carries a current token of this registry, unless --reprovision', async () => {
    const dataDir = await siteWithBaseFirmware([])
    const board = await wiredBoard('24:0a:c4:00:00:01')
    const id = await libraryId(dataDir)
    const common = [
      '--firmware',
      id,
      '--lot',
      'pump-{mac}',
      '--ports',
      board.clientPath,
      '--until',
      'flashed',
      '--count',
      '1',
      '--json',
    ]
    const first = await station(dataDir, ...common)
    expect(first.code, first.err).toBe(0)
    expect(
      JSON.parse((await cli(dataDir, '--json', 'device', 'show', 'pump-240ac4000001')).out).status,
    ).toBe('flashed')

    // Same board again (re-plugged): already provisioned, so it is skipped and left as it is.
    const again = await station(dataDir, ...common)
    expect(again.code, again.err).toBe(0)
    const skipped = again.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.board?.phase === 'skipped')
    expect(skipped.board).toMatchObject({
      uid: 'pump-240ac4000001',
      errorCode: 'already_provisioned',
    })
    // Read back, then reset into its firmware again (a board to be written stays in the ROM).
    expect(board.emulator.state).toBe('app')

    const forced = await station(dataDir, ...common, '--reprovision')
    expect(forced.code, forced.err).toBe(0)
    const tokens = JSON.parse(
      (await cli(dataDir, '--json', 'device', 'show', 'pump-240ac4000001')).out,
    ).tokens
    expect(tokens.map((t: { state: string }) => t.state)).toEqual(['superseded', 'issued'])
  }, 120_000)

  it('takes devices from a lot file, creating the ones the registry lacks, in order', async () => {
    const dataDir = await siteWithBaseFirmware(['tank-0001'])
    const lot = join(await tempDir(), 'lot.txt')
    await writeFile(lot, 'tank-0001\ntank-0002\n')
    const board = await wiredBoard('24:0a:c4:00:00:02')
    const run = await station(
      dataDir,
      '--firmware',
      await libraryId(dataDir),
      '--lot',
      lot,
      '--ports',
      board.clientPath,
      '--until',
      'flashed',
      '--count',
      '1',
    )
    expect(run.code, run.err).toBe(0)
    const list = JSON.parse((await cli(dataDir, '--json', 'device', 'list')).out)
    expect(list.map((d: { uid: string; status: string }) => [d.uid, d.status])).toEqual([
      ['tank-0001', 'flashed'],
      ['tank-0002', 'new'],
    ])
  }, 120_000)

  it('refuses bad input naming the option, before touching any board', async () => {
    const dataDir = await siteWithBaseFirmware([])
    const id = await libraryId(dataDir)
    const noLot = await station(
      dataDir,
      '--firmware',
      id,
      '--lot',
      'no-placeholder',
      '--ports',
      '/dev/ttyNOPE9',
    )
    expect(noLot.code).toBe(2)
    expect(noLot.err).toContain('--lot')
    const badPattern = await station(
      dataDir,
      '--firmware',
      id,
      '--lot',
      'a b {seq}',
      '--ports',
      '/dev/ttyNOPE9',
    )
    expect(badPattern.code).toBe(2)
    expect(badPattern.err).toContain('--lot: the pattern makes UIDs like a b 1')
    const noFirmware = await station(dataDir, '--firmware', 'abcdef12', '--lot', 'x-{seq}')
    expect(noFirmware.code).toBe(2)
    expect(noFirmware.err).toContain('--firmware')
    const noApprover = await station(
      dataDir,
      '--firmware',
      id,
      '--lot',
      'x-{seq}',
      '--until',
      'approved',
    )
    expect(noApprover.code).toBe(2)
    expect(noApprover.err).toContain('--approver')
  })
})

describe('fieldflash station --until approved', () => {
  const benches: BenchBoard[] = []
  afterEach(async () => {
    for (const bench of benches.splice(0)) await bench.stop()
  })

  it('takes each board to approved and registered: its banner judged on its own port', async () => {
    const dataDir = await siteWithHostFirmware()
    for (const mac of ['24:0a:c4:00:01:01', '24:0a:c4:00:01:02']) {
      benches.push(await BenchBoard.start({ wired: true, mac }))
    }
    const results = join(await tempDir(), 'results.csv')
    let out = ''
    let err = ''
    const code = await runCli(
      ['station', '--firmware', await libraryId(dataDir), '--lot', 'well-{seq:04}']
        .concat(['--ports', benches.map((b) => b.clientPath).join(',')])
        .concat(['--approver', 'Line Lead', '--count', '2', '--results', results])
        .concat(['--data-dir', dataDir]),
      { out: (t) => (out += t), err: (t) => (err += t) },
      {},
      undefined,
      wiredAccess(() => benches),
    )
    expect(code, err + out).toBe(0)
    const rows = csvRows(await readFile(results, 'utf8'))
    expect(rows.map((r) => [r.outcome, r.reached])).toEqual([
      ['done', 'registered'],
      ['done', 'registered'],
    ])
    for (const row of rows) {
      const device = JSON.parse((await cli(dataDir, '--json', 'device', 'show', row.device!)).out)
      expect(device.status).toBe('registered')
      expect(device.operations[0]).toMatchObject({ approver: 'Line Lead', mac: row.mac })
      expect(Number(row.verify_s)).toBeGreaterThan(0)
    }
    expect(err).toContain('Station ended: 2 done, 0 failed, 0 skipped')
  }, 120_000)
})
