import { spawn } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../main/cli/cli'
import { REPO_ROOT, tempDir } from '../helpers/fixtures'
import { startPtyPair } from '../../devkit/pty'
import { MAC_A } from '../verification/helpers'
import { buildBoardFromZip, runOnPty, type ZipBoard } from '../verification/zip-board'

/** `fieldflash monitor` and `fieldflash verify` against the template's firmware on a pty. */

let dataDir: string
let current: ZipBoard
let stale: ZipBoard
let expectedCode: string
const stops: Array<() => Promise<void>> = []

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return cliWithEnv({}, ...argv)
}

async function cliWithEnv(
  env: NodeJS.ProcessEnv,
  ...argv: string[]
): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await runCli(
    [...argv, '--data-dir', dataDir],
    { out: (t) => (out += t), err: (t) => (err += t) },
    env,
  )
  return { code, out, err }
}

/** `monitor` run without --data-dir: it needs no data. */
async function cliNoData(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) }, {})
  return { code, out, err }
}

async function boardOnPty(board: ZipBoard, mac = MAC_A): Promise<string> {
  const pty = await runOnPty(board, mac)
  stops.push(pty.stop)
  return pty.path
}

beforeAll(async () => {
  // Not tempDir(): that one is removed after each test, and this folder serves the whole file.
  dataDir = await mkdtemp(join(tmpdir(), 'fieldflash-cli-e2e-'))
  const zips = join(dataDir, 'zips')
  const site = [
    ['--platform-key', 'pk_test_1'],
    ['--api-host', 'api.example.com'],
    ['--mqtt-host', 'mqtt.example.com'],
    ['--mqtt-port', '8883'],
    ['--ota-base-url', 'https://ota.example.com/fw'],
  ].flat()
  expect((await cli('site', 'set', ...site)).code).toBe(0)
  expect((await cli('device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')).code).toBe(
    0,
  )
  const first = JSON.parse(
    (await cli('template', 'pump-0001', '--out', join(zips, 'a'), '--json')).out,
  )
  // A developer's copy: the next download removes the ZIP FieldFlash wrote, not copies of it.
  await mkdir(join(zips, 'kept'), { recursive: true })
  await copyFile(first.zipPath, join(zips, 'kept', 'pump-0001.zip'))
  first.zipPath = join(zips, 'kept', 'pump-0001.zip')
  const second = JSON.parse((await cli('template', 'pump-0001', '--out', zips, '--json')).out)
  expectedCode = second.expectedCode
  ;[stale, current] = await Promise.all([
    buildBoardFromZip(first.zipPath),
    buildBoardFromZip(second.zipPath),
  ])
}, 60_000)

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
})

afterAll(async () => {
  await Promise.all([stale?.remove(), current?.remove()])
  await rm(dataDir, { recursive: true, force: true })
})

describe('fieldflash verify', () => {
  it('names a board with a superseded token as not verified, exit 3, with the next step', async () => {
    const port = await boardOnPty(stale)
    const result = await cli('verify', '--port', port, '--device', 'pump-0001', '--timeout', '10')
    expect(result.code).toBe(3)
    expect(result.out).toMatch(/^NOT VERIFIED: pump-0001 — Outdated token/)
    expect(result.out).toContain(
      'Next: Download the template of pump-0001 again, rebuild the firmware and flash it, then verify again.',
    )
  })

  it('verifies and approves the board (exit 0); approving it again is refused (exit 3); it registers later', async () => {
    const port = await boardOnPty(current)
    const first = await cli(
      'verify',
      '--port',
      port,
      '--device',
      'pump-0001',
      '--approve',
      '--approver',
      'Alice',
      '--no-register',
      '--json',
    )
    expect(first.code).toBe(0)
    const report = JSON.parse(first.out)
    expect(report).toMatchObject({
      ok: true,
      outcome: 'verified',
      uid: 'pump-0001',
      seenCode: expectedCode,
      expectedCode,
      mac: MAC_A,
      approved: true,
      approver: 'Alice',
      operationState: 'approved',
    })

    // An approval names its approver: without --approver or FIELDFLASH_APPROVER it is refused.
    const operations = async () =>
      JSON.parse((await cli('device', 'show', 'pump-0001', '--json')).out).operations as {
        state: string
      }[]
    const before = await operations()
    const nameless = await cli('verify', '--port', port, '--approve')
    expect(nameless.code).toBe(2)
    expect(nameless.err).toMatch(
      /--approver: is required to approve \(or set FIELDFLASH_APPROVER\)/,
    )
    const again = await cliWithEnv(
      { FIELDFLASH_APPROVER: 'Bob' },
      'verify',
      '--port',
      port,
      '--approve',
    )
    expect(again.code).toBe(3)
    expect(again.out).toMatch(/^NOT VERIFIED: pump-0001 — Already approved/)
    expect(again.out).toContain('by Alice')
    // Checking the approved board again leaves no pending operation behind.
    expect(await operations()).toEqual(before)

    const audit = JSON.parse((await cli('audit', '--device', 'pump-0001', '--json')).out)
    expect(audit.entries.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining([
        'operation.recorded',
        'operation.approved',
        'token.consumed',
        'device.approved',
      ]),
    )
    expect((await cli('audit')).out).toMatch(/operation\.approved +uid=pump-0001 .*approver=Alice/)

    // Approved without registering: registering it later, over the same cable.
    const registered = await cli(
      'registration',
      'refresh',
      '--port',
      port,
      '--device',
      'pump-0001',
      '--json',
    )
    expect(registered.code, registered.err).toBe(0)
    expect(JSON.parse(registered.out)).toMatchObject({
      ok: true,
      op: 'register',
      registration: { state: 'active' },
    })
    const shown = await cli('verify', '--port', port)
    expect(shown.code).toBe(0)
    expect(shown.out).toMatch(
      /^REGISTERED: The board is pump-0001, registered with token [0-9a-f]{8}/,
    )
  })

  it('gives up after --timeout with exit 3 when no banner comes', async () => {
    const pair = await startPtyPair(await tempDir())
    stops.push(pair.stop)
    const result = await cli('verify', '--port', pair.a, '--timeout', '0.3', '--json')
    expect(result.code).toBe(3)
    expect(JSON.parse(result.out)).toMatchObject({
      ok: false,
      outcome: 'timeout',
      message: expect.stringMatching(/No bootstrap banner .* within 0.3 s/),
    })
  })

  it('exits 2 for bad input, naming the option, and 1 for a port that is not there', async () => {
    for (const argv of [
      ['--port', '/dev/x', '--timeout', 'soon'],
      ['--port', '/dev/x', '--device', 'x/y'],
      ['--port', '/dev/x', '--device', 'nobody-here'],
      ['--port', '/dev/x', '--approver', 'Alice'],
      ['--port', '/dev/x', '--baud', 'fast'],
      ['--device', 'pump-0001'],
    ]) {
      expect((await cli('verify', ...argv)).code, argv.join(' ')).toBe(2)
    }
    const missing = await cli('verify', '--port', join(dataDir, 'no-such-port'))
    expect(missing.code).toBe(1)
    expect(missing.err).toMatch(/There is no serial port at .*no-such-port.*"fieldflash ports"/)
  })
})

describe('fieldflash monitor', () => {
  it('streams JSON lines with the bootstrap banner marked, until --duration ends it', async () => {
    const port = await boardOnPty(current)
    const result = await cliNoData('monitor', '--port', port, '--json', '--duration', '0.8')
    expect(result.code).toBe(0)
    const records = result.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    const banners = records.filter((r) => r.banner)
    expect(banners.length).toBeGreaterThanOrEqual(2)
    expect(banners[0]).toMatchObject({
      type: 'line',
      text: expect.stringMatching(/^FFBOOT v=1 uid=pump-0001 /),
      banner: { uid: 'pump-0001', code: expectedCode, mac: MAC_A },
    })
    const lines = records.filter((r) => r.type === 'line')
    expect(lines.map((r) => r.seq)).toEqual(lines.map((_, i) => i + 1))
    expect(records.at(-1)).toMatchObject({ type: 'state', state: 'closed' })
  })

  it('prints timestamped lines and a note under each banner for people', async () => {
    const port = await boardOnPty(current)
    // Like every command, monitor takes --data-dir (it reads no data).
    const result = await cli('monitor', '--port', port, '--duration', '0.5')
    expect(result.code).toBe(0)
    expect(result.err).toMatch(/^Monitoring .* at 115200 baud/)
    expect(result.out).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}FFBOOT v=1 uid=pump-0001 /m)
    expect(result.out).toContain(`↳ bootstrap banner: device pump-0001`)
  })

  it('exits 1 with the device_lost message when the board goes away', async () => {
    const pair = await startPtyPair(await tempDir())
    setTimeout(() => void pair.stop(), 300)
    const result = await cliNoData('monitor', '--port', pair.a)
    expect(result.code).toBe(1)
    expect(result.err).toMatch(/stopped answering or was unplugged/)
  })

  it('stops cleanly on Ctrl+C (SIGINT) when run as a program', async () => {
    const pair = await startPtyPair(await tempDir())
    stops.push(pair.stop)
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'fieldflash.js'), 'monitor', '--port', pair.a],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => {
      if (c.toString().includes('Press Ctrl+C')) void writeLine()
    })
    const writeLine = async () => {
      const handle = await open(pair.b, 'w')
      await handle.write('hello from the board\r\n')
      await handle.close()
      setTimeout(() => child.kill('SIGINT'), 400)
    }
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).toBe(0)
    expect(out).toContain('hello from the board')
  })
})
