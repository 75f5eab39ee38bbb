// A board behind a cable the test controls: the host-built firmware runs as a child process, and
// a relay carries its console to a pty that the code under test opens. Whatever crosses can be
// dropped (a lost acknowledgment), added (noise, a forged line), the board restarted (a reset with
// a new nonce, its own nvs kept in its state file) or the cable pulled (the pty goes away).

import { spawn, type ChildProcess } from 'node:child_process'
import { SerialPort } from 'serialport'
import { startPtyPair, type SocatProcess } from './pty'

export interface RelayedBoard {
  /** The path the code under test opens. */
  path: string
  /** Lines the board printed (without CRLF), in order, including dropped ones. */
  printed: string[]
  /** Lines the host sent to the board, in order, including dropped ones. */
  received: string[]
  /**
   * Decides, for each whole line the board prints, whether it reaches the host (default: all).
   * Return false to drop it.
   */
  passToHost: (line: string) => boolean
  /** Decides, for each whole line the host sends, whether it reaches the board (default: all). */
  passToBoard: (line: string) => boolean
  /** Bytes for the host, as if the board had printed them (noise, a forged line). */
  injectToHost(data: string | Uint8Array): Promise<void>
  /** Bytes for the board, as if the host had sent them. */
  injectToBoard(data: string | Uint8Array): void
  /** Resets the board: the process ends and starts again (a new boot, a new nonce). */
  restart(): Promise<void>
  /** Pulls the cable: the host's port goes away. The board keeps running until stop(). */
  unplug(): Promise<void>
  stop(): Promise<void>
}

/** Starts `binary args…` as the board behind a relay on a pty pair in `dir`. */
export async function startRelayedBoard(
  dir: string,
  binary: string,
  args: string[],
): Promise<RelayedBoard> {
  const pair: SocatProcess & { a: string; b: string } = await startPtyPair(dir, ['host', 'relay'])
  const port = new SerialPort({ path: pair.b, baudRate: 115200, autoOpen: false })
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())))
  let child: ChildProcess | null = null
  let stopping = false

  const board: RelayedBoard = {
    path: pair.a,
    printed: [],
    received: [],
    passToHost: () => true,
    passToBoard: () => true,
    injectToHost: (data) =>
      new Promise<void>((resolve, reject) =>
        port.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, (error) =>
          error ? reject(error) : port.drain(() => resolve()),
        ),
      ),
    injectToBoard: (data) => {
      child?.stdin?.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data)
    },
    async restart() {
      await kill()
      start()
    },
    async unplug() {
      await new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()))
      await pair.stop()
    },
    async stop() {
      stopping = true
      await kill()
      await board.unplug()
    },
  }

  // Host → board, line by line, so a whole line can be held back.
  let fromHost = ''
  port.on('data', (chunk: Buffer) => {
    fromHost += chunk.toString('latin1')
    let at: number
    while ((at = fromHost.indexOf('\n')) >= 0) {
      const line = fromHost.slice(0, at + 1)
      fromHost = fromHost.slice(at + 1)
      board.received.push(line.replace(/\r?\n$/, ''))
      if (board.passToBoard(line.replace(/\r?\n$/, ''))) {
        child?.stdin?.write(Buffer.from(line, 'latin1'))
      }
    }
  })
  port.on('error', () => undefined)

  function start(): void {
    const started = spawn(binary, args, { stdio: ['pipe', 'pipe', 'ignore'] })
    child = started
    started.stdin.on('error', () => undefined)
    let fromBoard = ''
    started.stdout.on('data', (chunk: Buffer) => {
      fromBoard += chunk.toString('latin1')
      let at: number
      while ((at = fromBoard.indexOf('\n')) >= 0) {
        const line = fromBoard.slice(0, at + 1)
        fromBoard = fromBoard.slice(at + 1)
        const text = line.replace(/\r?\n$/, '')
        board.printed.push(text)
        if (board.passToHost(text) && port.isOpen && !stopping) {
          port.write(Buffer.from(line, 'latin1'))
        }
      }
    })
  }

  async function kill(): Promise<void> {
    const running = child
    child = null
    if (!running || running.exitCode !== null || running.signalCode !== null) return
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()))
    running.kill('SIGKILL')
    await exited
  }

  start()
  return board
}
