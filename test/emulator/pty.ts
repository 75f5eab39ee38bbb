// The emulator served on a real pseudo-terminal pair made by socat, so code under test can open a
// path with the `serialport` package exactly as it opens /dev/ttyUSB0.
//
// The emulator's end is opened with `serialport` too, rather than raw fs: its native binding opens
// with O_NOCTTY (the pty never becomes our controlling terminal) and O_NONBLOCK and waits for data
// with libuv's poller, so no threadpool thread sits blocked in read() and close() returns at once.
// A blocking fs read on a tty would pin a libuv worker until data arrives and keep tests from exiting.
//
// ptys have no modem lines (TIOCMSET fails with ENOTTY), so this board starts in download mode and
// cannot be reset by DTR/RTS. "Unplugged" closes the emulator's end and ends socat: the client's
// `serialport` then emits 'close' with `disconnected: true`, and its path disappears.

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SerialPort } from 'serialport'
import { RomLoaderEmulator, type EmulatorOptions } from './rom-loader-emulator.js'

export interface PtyEmulatorOptions extends Omit<
  EmulatorOptions,
  'resetCircuit' | 'startInDownloadMode'
> {
  /** The socat binary (default: `socat` on PATH). */
  socatPath?: string
  /** How long to wait for socat to create both links (default 5000 ms). */
  startTimeoutMs?: number
}

export interface PtyEmulator {
  /** The path the code under test opens, like /dev/ttyUSB0. */
  clientPath: string
  emulator: RomLoaderEmulator
  /** Stops the emulator and socat and removes the links. */
  stop(): Promise<void>
}

const SOCAT_MISSING =
  'socat is required for the pty board emulator but was not found; install it with `apt-get install socat`'

/** Fails with an install hint when socat cannot be run. */
export async function assertSocatAvailable(socatPath = 'socat'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = spawn(socatPath, ['-V'], { stdio: 'ignore' })
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new Error(error.code === 'ENOENT' ? SOCAT_MISSING : `${SOCAT_MISSING} (${error.message})`),
      )
    })
    probe.once('exit', () => resolve())
  })
}

/** Starts socat with two linked ptys and serves the emulator on one of them. */
export async function startPtyEmulator(options: PtyEmulatorOptions = {}): Promise<PtyEmulator> {
  const socatPath = options.socatPath ?? 'socat'
  await assertSocatAvailable(socatPath)
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-board-'))
  const boardPath = join(dir, 'board')
  const clientPath = join(dir, 'client')
  const socat = spawn(
    socatPath,
    ['-d', '-d', `pty,raw,echo=0,link=${boardPath}`, `pty,raw,echo=0,link=${clientPath}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let socatLog = ''
  socat.stderr?.on('data', (chunk: Buffer) => {
    socatLog += chunk.toString()
  })
  const exited = new Promise<void>((resolve) => socat.once('exit', () => resolve()))

  try {
    await waitForLinks(
      socat,
      [boardPath, clientPath],
      options.startTimeoutMs ?? 5000,
      () => socatLog,
    )
  } catch (error) {
    socat.kill('SIGKILL')
    await exited
    await rm(dir, { recursive: true, force: true })
    throw error
  }

  const emulator = new RomLoaderEmulator({
    ...options,
    startInDownloadMode: true,
    resetCircuit: 'none',
  })
  const port = new SerialPort({ path: boardPath, baudRate: 115200, autoOpen: false })
  await new Promise<void>((resolve, reject) =>
    port.open((error) => (error ? reject(error) : resolve())),
  )

  let stopped = false
  const shutDown = async (): Promise<void> => {
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()))
    if (socat.exitCode === null && socat.signalCode === null) socat.kill('SIGTERM')
    await exited
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
    clientPath,
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

async function waitForLinks(
  socat: ChildProcess,
  paths: string[],
  timeoutMs: number,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!paths.every((path) => existsSync(path))) {
    if (socat.exitCode !== null || socat.signalCode !== null) {
      throw new Error(`socat exited before creating the ptys: ${log().trim()}`)
    }
    if (Date.now() > deadline)
      throw new Error(`socat did not create the ptys within ${timeoutMs} ms: ${log().trim()}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
