import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../../main/cli/cli'
import { tempDir } from '../helpers/fixtures'
import { registryArgs } from '../helpers/engine'
import { cli } from '../helpers/run-cli'
import { siteWithHostFirmware } from '../helpers/base-firmware-site'
import { BenchBoard, benchAccess, BENCH_MAC } from '../renderer/harness/bench-board'

// `fieldflash provision --verify --approve`: one command takes a blank board on one port to
// approved and registered, with the port and the device held throughout. The bench board behind a
// pty is flashed by the ROM-loader emulator, then boots the base firmware's own C code.

const benches: BenchBoard[] = []
afterEach(async () => {
  for (const bench of benches.splice(0)) await bench.stop()
})

async function setup(
  options: Parameters<typeof BenchBoard.start>[0] = {},
): Promise<{ dataDir: string; bench: BenchBoard }> {
  const dataDir = await siteWithHostFirmware()
  const add = ['device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001']
  expect((await cli(dataDir, ...add)).code).toBe(0)
  const bench = await BenchBoard.start(options)
  benches.push(bench)
  return { dataDir, bench }
}

async function provision(dataDir: string, bench: BenchBoard, ...flags: string[]) {
  let out = ''
  let err = ''
  const argv = ['provision', '--port', bench.clientPath, '--device', 'pump-0001', ...flags]
  const code = await runCli(
    [...argv, '--data-dir', dataDir, ...(await registryArgs(dataDir))],
    { out: (t) => (out += t), err: (t) => (err += t) },
    {},
    undefined,
    benchAccess(bench),
  )
  return { code, out, err }
}

describe('fieldflash provision --verify --approve', () => {
  it('takes a blank board to approved and registered in one command', async () => {
    const { dataDir, bench } = await setup()
    const run = await provision(dataDir, bench, '--approve', '--approver', 'A. Tech')
    expect(run.code, run.err).toBe(0)
    expect(run.out).toMatch(/Provisioned pump-0001 on ESP32/)
    expect(run.out).toMatch(/VERIFIED/)
    expect(run.out).toMatch(/Registered over the cable: registration token [0-9a-f]{8}/)
    expect(run.err).toContain("Waiting for pump-0001's banner")

    const device = JSON.parse((await cli(dataDir, 'device', 'show', 'pump-0001', '--json')).out)
    expect(device.status).toBe('registered')
    expect(device.currentToken).toMatchObject({ state: 'consumed', origin: 'provision' })
    expect(device.operations[0]).toMatchObject({
      state: 'approved',
      approver: 'A. Tech',
      mac: BENCH_MAC,
    })
  }, 120_000)

  it('follows a board whose USB port comes back under a new name after its reset', async () => {
    const usb = { serialNumber: '240AC4123456', location: 'usb 1-1.4' }
    const { dataDir, bench } = await setup({ usb })
    const before = bench.clientPath
    const run = await provision(dataDir, bench, '--approve', '--approver', 'A. Tech')
    expect(run.code, run.err).toBe(0)
    expect(bench.clientPath).not.toBe(before)
    expect(run.err).toContain(`The board came back as ${bench.clientPath} after its reset`)
    expect(run.out).toMatch(/Registered over the cable/)
    const device = JSON.parse((await cli(dataDir, 'device', 'show', 'pump-0001', '--json')).out)
    expect(device.status).toBe('registered')
    expect(device.operations[0]).toMatchObject({ state: 'approved', port: bench.clientPath })
  }, 120_000)

  it('reports the whole run as JSON lines ending in one result', async () => {
    const { dataDir, bench } = await setup()
    const run = await provision(dataDir, bench, '--verify', '--json')
    expect(run.code, run.err).toBe(0)
    const lines = run.out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines.some((l) => l.type === 'stage' && l.stage === 'verifying')).toBe(true)
    expect(lines.at(-1)).toMatchObject({
      type: 'result',
      ok: true,
      reached: 'verified',
      verification: { ok: true, outcome: 'verified', approved: false, operationState: 'pending' },
    })
    expect(lines.at(-1).fingerprint).toBe(lines.at(-1).verification.fingerprint)
  }, 120_000)

  it('exits 3 when the board shows no banner after it was written, the provision recorded', async () => {
    const { dataDir, bench } = await setup()
    // A board that is never reset into its firmware (no hard reset reaches it).
    let out = ''
    let err = ''
    const code = await runCli(
      ['provision', '--port', bench.clientPath, '--device', 'pump-0001', '--verify'].concat([
        '--timeout',
        '1',
        '--data-dir',
        dataDir,
        ...(await registryArgs(dataDir)),
      ]),
      { out: (t) => (out += t), err: (t) => (err += t) },
      {},
      undefined,
      { monitorOptions: { presenceIntervalMs: 250 } },
    )
    expect(code).toBe(3)
    expect(out).toContain('Provisioned pump-0001')
    expect(out).toMatch(/NOT VERIFIED: No bootstrap banner on .* within 1 s/)
    const device = JSON.parse((await cli(dataDir, 'device', 'show', 'pump-0001', '--json')).out)
    expect(device.flashes).toHaveLength(1)
    expect(device.status).toBe('flashed')
  }, 120_000)

  it('refuses --approver without --approve, and --approve without a name', async () => {
    const dataDir = await tempDir()
    const lone = await cli(
      dataDir,
      'provision',
      '--port',
      '/dev/ttyNOPE9',
      '--device',
      'pump-0001',
      '--approver',
      'A',
    )
    expect(lone.code).toBe(2)
    expect(lone.err).toContain('--approver: only goes with --approve')
    const nameless = await cli(
      dataDir,
      'provision',
      '--port',
      '/dev/ttyNOPE9',
      '--device',
      'pump-0001',
      '--approve',
    )
    expect(nameless.code).toBe(2)
    expect(nameless.err).toContain('--approver: is required to approve')
  })
})
