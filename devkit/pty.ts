// Real pseudo-terminals from socat, for serial tests and benchmarks: a linked pair, a program
// behind a pty (a "board" printing its console), and the ROM-loader emulator behind a pty, so code
// under test opens a path with the `serialport` package exactly as it opens /dev/ttyUSB0.
//
// A missing socat fails with the install command: a serial test that silently does not run is
// worse than none.
//
// The emulator's end is opened with `serialport` too, rather than raw fs: its native binding opens
// with O_NOCTTY (the pty never becomes our controlling terminal) and O_NONBLOCK and waits for data
// with libuv's poller, so no threadpool thread sits blocked in read() and close() returns at once.
//
// ptys have no modem lines (TIOCMSET fails with ENOTTY), so an emulated board starts in download
// mode and cannot be reset by DTR/RTS. "Unplugged" closes the emulator's end and ends socat: the
// client's `serialport` then emits 'close' with `disconnected: true`, and its path disappears.

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SerialPort } from 'serialport'
import { RomLoaderEmulator, type EmulatorOptions } from './emulator/rom-loader-emulator'

export const SOCAT_HINT = 'apt-get install socat'

/** Resolves when socat runs; throws with the install command otherwise. */
export async function requireSocat(socatPath = 'socat'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = spawn(socatPath, ['-V'], { stdio: 'ignore' })
    probe.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? 'not installed' : error.message
      reject(new Error(`socat is needed for the serial tests (${why}); install it: ${SOCAT_HINT}`))
    })
    probe.once('exit', () => resolve())
  })
}

/** A running socat: stop() ends it (and whatever it started) and waits for it to exit. */
export interface SocatProcess {
  child: ChildProcess
  stop(): Promise<void>
}

/** Starts socat in its own process group (so stop() also ends a program it started). */
async function startSocat(
  args: string[],
  paths: string[],
  options: { socatPath?: string; startTimeoutMs?: number } = {},
): Promise<SocatProcess> {
  const socatPath = options.socatPath ?? 'socat'
  await requireSocat(socatPath)
  const child = spawn(socatPath, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true })
  let log = ''
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGTERM')
      } catch {
        // already gone
      }
    }
    await exited
  }
  // socat creates the links within milliseconds; the bound only turns a wedged socat into an
  // error naming it instead of a test timeout.
  const timeoutMs = options.startTimeoutMs ?? 10_000
  const deadline = Date.now() + timeoutMs
  while (!paths.every((path) => existsSync(path))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop()
      throw new Error(`socat exited before creating ${paths.join(', ')}: ${log.trim()}`)
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`socat did not create ${paths.join(', ')} in ${timeoutMs} ms: ${log.trim()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return { child, stop }
}

/** Two linked raw ptys: bytes written to one come out of the other. */
export async function startPtyPair(
  dir: string,
  names: [string, string] = ['ptyA', 'ptyB'],
): Promise<SocatProcess & { a: string; b: string }> {
  const a = join(dir, names[0])
  const b = join(dir, names[1])
  const socat = await startSocat([`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], [a, b])
  return { ...socat, a, b }
}

/**
 * Runs `command args…` as a "board" behind a pty at `<dir>/<name>`: what it prints is what a
 * serial monitor on that path reads. The command line goes through a small script so its
 * arguments need no socat quoting (MACs contain colons).
 */
export async function startPtyBoard(
  dir: string,
  command: string,
  args: string[],
  name = 'board',
): Promise<SocatProcess & { path: string }> {
  return startPtyBoardAt(join(dir, name), command, args, join(dir, `${name}.sh`))
}

/** The same, with the pty's link at any `path` (the devkit's virtual board: --port <path>). */
export async function startPtyBoardAt(
  path: string,
  command: string,
  args: string[],
  script: string,
): Promise<SocatProcess & { path: string }> {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`
  await writeFile(script, `#!/bin/sh\nexec ${[command, ...args].map(quote).join(' ')}\n`)
  await chmod(script, 0o755)
  const socat = await startSocat([`pty,raw,echo=0,link=${path}`, `EXEC:${script}`], [path])
  return { ...socat, path }
}

export interface PtyEmulatorOptions extends Omit<
  EmulatorOptions,
  'resetCircuit' | 'startInDownloadMode'
> {
  /** The socat binary (default: `socat` on PATH). */
  socatPath?: string
  /** How long socat may take to create both links (default 10 s). */
  startTimeoutMs?: number
  /**
   * A board with the usual auto-reset circuit, its DTR/RTS wired through `wiredAccess`: it runs its
   * firmware until the flasher's reset puts it in download mode (ptys carry no modem lines, so the
   * test's port opener hands them to the emulator). Default: no circuit, already in download mode.
   */
  wired?: boolean
}

export interface PtyEmulator {
  /** The path the code under test opens, like /dev/ttyUSB0. */
  clientPath: string
  emulator: RomLoaderEmulator
  /** Stops the emulator and socat and removes the links. */
  stop(): Promise<void>
}

/** Starts socat with two linked ptys and serves the ROM-loader emulator on one of them. */
export async function startPtyEmulator(options: PtyEmulatorOptions = {}): Promise<PtyEmulator> {
  await requireSocat(options.socatPath)
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-board-'))
  const pair = await startPtyPair(dir, ['board', 'client']).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true })
    throw error
  })
  const {
    socatPath: _socatPath,
    startTimeoutMs: _startTimeoutMs,
    wired = false,
    ...emulatorOptions
  } = options
  const emulator = new RomLoaderEmulator({
    ...emulatorOptions,
    startInDownloadMode: !wired,
    resetCircuit: wired ? 'classic' : 'none',
  })
  const port = new SerialPort({ path: pair.a, baudRate: 115200, autoOpen: false })
  await new Promise<void>((resolve, reject) =>
    port.open((error) => (error ? reject(error) : resolve())),
  )

  let stopped = false
  // Our end first, then socat: ended the other way round, the client does not always see the
  // hangup on a loaded machine (found by running the unplug test under CPU load).
  const shutDown = async (): Promise<void> => {
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()))
    await pair.stop()
  }
  emulator.attachHost({
    receive: (bytes) => {
      if (port.isOpen) port.write(Buffer.from(bytes))
    },
    // Unplugged: the board's end goes away and socat with it, so the client sees a hangup.
    deviceLost: () => void shutDown(),
  })
  port.on('data', (chunk: Buffer) => {
    void emulator.fromHost(new Uint8Array(chunk))
  })
  port.on('error', () => {
    // The client side vanished or socat ended; the board simply stops hearing anything.
  })

  return {
    clientPath: pair.b,
    emulator,
    async stop() {
      if (stopped) return
      stopped = true
      emulator.dispose()
      await shutDown()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
