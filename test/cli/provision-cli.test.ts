import { spawn, spawnSync } from 'node:child_process'
import { SerialPort } from 'serialport'
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  startPtyBoard,
  startPtyEmulator,
  type PtyEmulator,
  type PtyEmulatorOptions,
  type SocatProcess,
} from '../../devkit/pty'
import { buildHostBoard, removeBuild } from '../firmware/build'
import { APP, siteWithBaseFirmware } from '../helpers/base-firmware-site'
import { REPO_ROOT, SAMPLE_SITE_FLAGS, tempDir } from '../helpers/fixtures'
import { registryArgs } from '../helpers/engine'
import { cli } from '../helpers/run-cli'
import { until } from '../helpers/wait'

let board: PtyEmulator | null = null
const consoles: SocatProcess[] = []
const builds: string[] = []
afterEach(async () => {
  await board?.stop()
  board = null
  for (const console of consoles.splice(0)) await console.stop()
  for (const binary of builds.splice(0)) await removeBuild(binary)
})

/** A registry with pump-0001 and the board's base firmware imported. */
const setup = (): Promise<string> => siteWithBaseFirmware()

async function provision(dataDir: string, port: string) {
  const run = await cli(
    dataDir,
    'provision',
    '--port',
    port,
    '--device',
    'pump-0001',
    '--before',
    'no_reset',
    '--json',
  )
  const lines = run.out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
  return { ...run, result: lines.at(-1) }
}

/** What ESP-IDF would read from the board's ffcfg region (the independent reader of docs/tools). */
async function readConfig(emulator: PtyEmulator['emulator']) {
  const file = join(await tempDir(), 'ffcfg.bin')
  await writeFile(file, emulator.readFlash(0x3ed000, 0x3000))
  const result = spawnSync('python3', [join(REPO_ROOT, 'docs', 'tools', 'nvs_read.py'), file], {
    encoding: 'utf8',
  })
  if (result.error) throw new Error('python3 is not installed: apt-get install python3')
  if (result.status !== 0) throw new Error(result.stderr)
  const entries = JSON.parse(result.stdout).entries as { key: string; value: string | number }[]
  return Object.fromEntries(entries.map((e) => [e.key, e.value]))
}

describe('fieldflash provision', () => {
  it('writes the base firmware and a fresh config partition at the ffcfg offset, then only the config', async () => {
    board = await startPtyEmulator({ chip: 'ESP32', mac: '24:0a:c4:aa:bb:cc' })
    const dataDir = await setup()

    const first = await provision(dataDir, board.clientPath)
    expect(first.code, first.err).toBe(0)
    expect(first.result).toMatchObject({
      type: 'result',
      ok: true,
      uid: 'pump-0001',
      skippedParts: [],
    })
    expect(
      first.result.parts.map((p: { name: string; offset: number }) => [p.name, p.offset]),
    ).toContainEqual(['ffcfg', 0x3ed000])
    expect(
      Buffer.from(board.emulator.readFlash(0x10000, APP.length)).equals(Buffer.from(APP)),
    ).toBe(true)
    const config = await readConfig(board.emulator)
    expect(config).toMatchObject({ uid: 'pump-0001', mqtt_port: 8883, mqtt_user: 'dev-pump-0001' })
    const fingerprintOf = (token: string) =>
      createHash('sha256').update(token).digest('hex').slice(0, 8)
    expect(fingerprintOf(config.prov_token as string)).toBe(first.result.fingerprint)

    let device = JSON.parse((await cli(dataDir, 'device', 'show', 'pump-0001', '--json')).out)
    expect(device.currentToken).toMatchObject({
      fingerprint: first.result.fingerprint,
      origin: 'provision',
    })
    expect(device.flashes).toHaveLength(1)
    expect(device.status).toBe('flashed')

    // The same board back in download mode: its flash as the first provisioning left it.
    const flash = board.emulator.readFlash(0, 0x400000)
    await board.stop()
    board = await startPtyEmulator({ chip: 'ESP32', mac: '24:0a:c4:aa:bb:cc' })
    board.emulator.loadFlash(0, flash)
    const writesBefore = board.emulator.commandCount('FLASH_DEFL_BEGIN')
    const second = await provision(dataDir, board.clientPath)
    expect(second.code, second.err + second.out).toBe(0)
    expect(second.result.skippedParts).toEqual(
      first.result.parts.map((p: { name: string }) => p.name).filter((n: string) => n !== 'ffcfg'),
    )
    expect(board.emulator.commandCount('FLASH_DEFL_BEGIN') - writesBefore).toBe(1)
    const reconfigured = await readConfig(board.emulator)
    expect(fingerprintOf(reconfigured.prov_token as string)).toBe(second.result.fingerprint)
    expect(reconfigured.mqtt_pass).toBe(config.mqtt_pass)
    device = JSON.parse((await cli(dataDir, 'device', 'show', 'pump-0001', '--json')).out)
    expect(device.tokens.map((t: { state: string }) => t.state)).toEqual(['superseded', 'issued'])
    expect(device.flashes).toHaveLength(2)
  }, 120_000)

  it('gives the base firmware what it needs: the board boots on its ffcfg and `verify --approve` proves it', async () => {
    board = await startPtyEmulator({ chip: 'ESP32', mac: '24:0a:c4:aa:bb:cc' })
    const dataDir = await setup()
    const provisioned = await provision(dataDir, board.clientPath)
    expect(provisioned.code, provisioned.err).toBe(0)

    // The board reboots into the base firmware (the host build of the same C, with no header),
    // which reads the ffcfg bytes just flashed; its console is behind a pty.
    const dir = await tempDir()
    const ffcfg = join(dir, 'ffcfg.bin')
    await writeFile(ffcfg, board.emulator.readFlash(0x3ed000, 0x3000))
    const firmware = await buildHostBoard(null)
    builds.push(firmware)
    const console = await startPtyBoard(dir, firmware, [
      '--mac',
      '24:0a:c4:aa:bb:cc',
      '--interval-ms',
      '300',
      '--nvs',
      ffcfg,
    ])
    consoles.push(console)
    const verified = await cli(
      dataDir,
      'verify',
      '--port',
      console.path,
      '--device',
      'pump-0001',
      '--approve',
      '--approver',
      'A. Tech',
      '--json',
    )
    expect(verified.code, verified.err).toBe(0)
    const report = JSON.parse(verified.out)
    expect(report).toMatchObject({
      outcome: 'verified',
      approved: true,
      fingerprint: provisioned.result.fingerprint,
      seenCode: provisioned.result.expectedCode,
      mac: '24:0a:c4:aa:bb:cc',
      // Approved, the board received its registration token over the same cable.
      registered: true,
      registration: { state: 'active', mac: '24:0a:c4:aa:bb:cc', origin: 'register' },
    })
    // From then on the board shows its status line; verify names it as registered.
    const again = await cli(dataDir, 'verify', '--port', console.path, '--json')
    expect(again.code, again.err).toBe(0)
    expect(JSON.parse(again.out)).toMatchObject({
      outcome: 'registered',
      uid: 'pump-0001',
      genuine: true,
      registrationFingerprint: report.registration.fingerprint,
      registrationState: 'active',
    })
    const device = JSON.parse((await cli(dataDir, 'device', 'show', 'pump-0001', '--json')).out)
    expect(device.status).toBe('registered')
    expect(device.currentToken).toMatchObject({ state: 'consumed' })
  }, 120_000)

  it('leaves the registry consistent when the board is unplugged mid-provision', async () => {
    board = await startPtyEmulator({
      chip: 'ESP32',
      mac: '24:0a:c4:aa:bb:cc',
      faults: { unplugAfterBytesReceived: 60_000 },
    })
    const dataDir = await setup()
    const run = await provision(dataDir, board.clientPath)
    expect(run.code).toBe(1)
    expect(run.result).toMatchObject({ ok: false, code: 'device_lost', stage: 'writing' })
    expect(run.result).toMatchObject({ tokenChanged: false })
    expect(run.result.message).toMatch(/pump-0001 still has no token\.$/)
    const device = JSON.parse((await cli(dataDir, 'device', 'show', 'pump-0001', '--json')).out)
    // The app was being written: no token was committed, and no flash claims a board carries one.
    expect(device.tokens).toEqual([])
    expect(device.flashes).toEqual([])
    expect((await cli(dataDir, 'doctor')).code).toBe(0)
  }, 120_000)

  it('removes the template ZIP of the token it supersedes', async () => {
    board = await startPtyEmulator({ chip: 'ESP32', mac: '24:0a:c4:aa:bb:cc' })
    const dataDir = await setup()
    const zip = JSON.parse(
      (await cli(dataDir, 'template', 'pump-0001', '--out', await tempDir(), '--json')).out,
    )
    const run = await provision(dataDir, board.clientPath)
    expect(run.code, run.err).toBe(0)
    await expect(readFile(zip.zipPath)).rejects.toMatchObject({ code: 'ENOENT' })
    const audit = JSON.parse((await cli(dataDir, 'audit', '--json')).out).entries
    expect(audit.filter((e: { type: string }) => e.type === 'file.removed')).toHaveLength(1)
  }, 120_000)

  it('asks for a base firmware when the library has none for the board', async () => {
    const dataDir = await tempDir('fieldflash-data-')
    expect((await cli(dataDir, 'site', 'set', ...SAMPLE_SITE_FLAGS)).code).toBe(0)
    await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')
    const run = await cli(dataDir, 'provision', '--port', '/dev/null', '--device', 'pump-0001')
    expect(run.code).toBe(2)
    expect(run.err).toMatch(
      /firmware: the library has no base firmware for esp32-devkitc\. Import one first/,
    )
    const device = JSON.parse((await cli(dataDir, 'device', 'show', 'pump-0001', '--json')).out)
    expect(device.tokens).toEqual([])
  })
})

describe('fieldflash provision that fails', () => {
  /** A device whose board works: its current token, as `token regenerate` left it. */
  async function deviceWithWorkingToken(): Promise<{ dataDir: string; fingerprint: string }> {
    const dataDir = await setup()
    const minted = await cli(dataDir, 'token', 'regenerate', 'pump-0001', '--json')
    expect(minted.code, minted.err).toBe(0)
    return { dataDir, fingerprint: JSON.parse(minted.out).fingerprint }
  }

  async function tokens(dataDir: string): Promise<{ fingerprint: string; state: string }[]> {
    return JSON.parse((await cli(dataDir, 'device', 'show', 'pump-0001', '--json')).out).tokens
  }

  /** Provisions pump-0001 on `port`; answers the run and its JSON result. */
  async function failingProvision(dataDir: string, port: string) {
    const run = await provision(dataDir, port)
    expect(run.code, run.err).not.toBe(0)
    expect(run.result).toMatchObject({ type: 'result', ok: false, uid: 'pump-0001' })
    return run
  }

  async function expectTokenKept(dataDir: string, fingerprint: string, message: string) {
    expect(message).toContain(
      `Nothing was written to the board's config partition, so pump-0001's token ${fingerprint} (issued) is unchanged.`,
    )
    expect(await tokens(dataDir)).toEqual([
      expect.objectContaining({ fingerprint, state: 'issued' }),
    ])
    const audit = JSON.parse((await cli(dataDir, 'audit', '--json')).out).entries
    expect(audit.filter((e: { type: string }) => e.type === 'token.superseded')).toEqual([])
  }

  async function boardWith(options: PtyEmulatorOptions): Promise<PtyEmulator> {
    board = await startPtyEmulator({ mac: '24:0a:c4:aa:bb:cc', ...options })
    return board
  }

  it('keeps the working token when the port does not exist, and says so', async () => {
    const { dataDir, fingerprint } = await deviceWithWorkingToken()
    const run = await failingProvision(dataDir, '/dev/ttyNOPE')
    expect(run.code).toBe(1)
    expect(run.result).toMatchObject({ code: 'port_not_found', tokenChanged: false, fingerprint })
    await expectTokenKept(dataDir, fingerprint, run.result.message)
    const human = await cli(dataDir, 'provision', '--port', '/dev/ttyNOPE', '--device', 'pump-0001')
    expect(human.err).toContain(`pump-0001's token ${fingerprint} (issued) is unchanged.`)
  })

  it('keeps the working token when another program holds the port', async () => {
    const { dataDir, fingerprint } = await deviceWithWorkingToken()
    const emulator = await boardWith({ chip: 'ESP32' })
    const holder = new SerialPort({ path: emulator.clientPath, baudRate: 115200, autoOpen: false })
    await new Promise<void>((resolve, reject) => holder.open((e) => (e ? reject(e) : resolve())))
    try {
      const run = await failingProvision(dataDir, emulator.clientPath)
      expect(run.result).toMatchObject({ code: 'port_busy', tokenChanged: false })
      await expectTokenKept(dataDir, fingerprint, run.result.message)
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()))
    }
  })

  it('keeps the working token when the board has another chip', async () => {
    const { dataDir, fingerprint } = await deviceWithWorkingToken()
    const emulator = await boardWith({ chip: 'ESP32-C3' })
    const run = await failingProvision(dataDir, emulator.clientPath)
    expect(run.result).toMatchObject({ code: 'chip_mismatch', tokenChanged: false })
    await expectTokenKept(dataDir, fingerprint, run.result.message)
    expect(emulator.emulator.commandCount('FLASH_DEFL_BEGIN')).toBe(0)
  }, 60_000)

  it('keeps the working token when the link is lost while the app is written, before the config', async () => {
    const { dataDir, fingerprint } = await deviceWithWorkingToken()
    const emulator = await boardWith({
      chip: 'ESP32',
      faults: { unplugWhileWriting: { offset: 0x10000, afterBytes: 32 * 1024 } },
    })
    const run = await failingProvision(dataDir, emulator.clientPath)
    expect(run.result).toMatchObject({ code: 'device_lost', stage: 'writing', tokenChanged: false })
    await expectTokenKept(dataDir, fingerprint, run.result.message)
  }, 60_000)

  it('says the token changed and to provision again when the link is lost while the config is written', async () => {
    const { dataDir, fingerprint } = await deviceWithWorkingToken()
    const emulator = await boardWith({
      chip: 'ESP32',
      faults: { unplugWhileWriting: { offset: 0x3ed000, afterBytes: 0x1000 } },
    })
    const run = await failingProvision(dataDir, emulator.clientPath)
    const [old, current] = await tokens(dataDir)
    expect(old).toMatchObject({ fingerprint, state: 'superseded' })
    expect(current).toMatchObject({ state: 'issued' })
    expect(run.result).toMatchObject({
      code: 'device_lost',
      tokenChanged: true,
      fingerprint: current!.fingerprint,
    })
    expect(run.result.message).toContain(
      `pump-0001's token changed to ${current!.fingerprint} (the previous one, ${fingerprint}, is superseded) as its config partition started to be written`,
    )
    expect(run.result.message).toMatch(/provision it again/)
  }, 60_000)

  it('says the token changed when the link is lost after the config was written, while it is verified', async () => {
    const { dataDir, fingerprint } = await deviceWithWorkingToken()
    const emulator = await boardWith({
      chip: 'ESP32',
      // The first MD5 at the config's offset asks whether it is already there; the second verifies it.
      faults: { unplugOn: { command: 'SPI_FLASH_MD5', offset: 0x3ed000, occurrence: 2 } },
    })
    const run = await failingProvision(dataDir, emulator.clientPath)
    expect(run.result).toMatchObject({ stage: 'verifying', tokenChanged: true })
    const [old, current] = await tokens(dataDir)
    expect(old).toMatchObject({ fingerprint, state: 'superseded' })
    expect(run.result.message).toContain(`token changed to ${current!.fingerprint}`)
    // The whole config reached the board: it carries the new token.
    const config = await readConfig(emulator.emulator)
    expect(createHash('sha256').update(String(config.prov_token)).digest('hex').slice(0, 8)).toBe(
      current!.fingerprint,
    )
  }, 60_000)
})

describe('one board per device', () => {
  const others: PtyEmulator[] = []
  afterEach(async () => {
    for (const other of others.splice(0)) await other.stop()
  })
  const slowBoard = () =>
    startPtyEmulator({ chip: 'ESP32', faults: { responseDelayByCommand: { FLASH_DEFL_DATA: 40 } } })

  it('refuses a second provision of the device on another port while the first runs, naming where', async () => {
    board = await slowBoard()
    const other = await startPtyEmulator({ chip: 'ESP32' })
    others.push(other)
    const dataDir = await setup()

    const first = provision(dataDir, board.clientPath)
    await until(() => board!.emulator.commandCount('FLASH_DEFL_BEGIN') > 0)
    const second = await provision(dataDir, other.clientPath)
    expect(second.code).toBe(1)
    expect(second.result).toMatchObject({ ok: false, code: 'device_busy', tokenChanged: false })
    expect(second.result.message).toContain(`pump-0001 is being provisioned on ${board.clientPath}`)
    expect(second.result.message).toContain('fieldflash provision')
    // Refused before its port was opened: the second board never heard a word.
    expect(other.emulator.commandCount('SYNC')).toBe(0)

    const done = await first
    expect(done.code, done.err).toBe(0)
    // The lease ended with the first job: the device can be provisioned again.
    const again = await provision(dataDir, other.clientPath)
    expect(again.code, again.err).toBe(0)
  }, 120_000)

  it('takes over the lease of a provision that was killed (kill -9)', async () => {
    board = await slowBoard()
    const dataDir = await setup()
    const child = spawn(
      process.execPath,
      [
        'bin/fieldflash.js',
        'provision',
        '--port',
        board.clientPath,
        '--device',
        'pump-0001',
      ].concat(['--before', 'no_reset', '--data-dir', dataDir, ...(await registryArgs(dataDir))]),
      { cwd: REPO_ROOT, stdio: 'ignore' },
    )
    const exited = new Promise((resolve) => child.once('exit', resolve))
    await until(() => board!.emulator.commandCount('FLASH_DEFL_BEGIN') > 0)
    child.kill('SIGKILL')
    await exited

    const fresh = await startPtyEmulator({ chip: 'ESP32' })
    others.push(fresh)
    const next = await provision(dataDir, fresh.clientPath)
    expect(next.code, next.err + JSON.stringify(next.result)).toBe(0)
  }, 120_000)
})
