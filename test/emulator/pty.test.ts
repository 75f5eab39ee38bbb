// The emulator on a real pseudo-terminal pair (socat), reached with the `serialport` package.

import { SerialPort } from 'serialport'
import { until } from '../helpers/wait'
import { afterEach, describe, expect, it } from 'vitest'
import { createLoader, disconnectQuietly, flashOptions, noiseImage } from './esptool-harness'
import { Command, SYNC_PAYLOAD, buildRequest, parseResponse } from '../../devkit/emulator/protocol'
import { startPtyEmulator, type PtyEmulator } from '../../devkit/pty'
import { SerialportWebPort } from '../../devkit/emulator/serialport-web-port'
import { SlipDecoder, slipEncode } from '../../devkit/emulator/slip'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

async function start(options: Parameters<typeof startPtyEmulator>[0] = {}): Promise<PtyEmulator> {
  const board = await startPtyEmulator(options)
  cleanups.push(() => board.stop())
  return board
}

async function openClient(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false })
  await new Promise<void>((resolve, reject) =>
    port.open((error) => (error ? reject(error) : resolve())),
  )
  cleanups.push(
    () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  )
  return port
}

describe('startPtyEmulator', () => {
  it('fails with an install hint when socat is missing', async () => {
    await expect(startPtyEmulator({ socatPath: '/nonexistent/socat' })).rejects.toThrow(
      'apt-get install socat',
    )
  })

  it('answers a SYNC sent by a serialport client with the ROM’s eight responses', async () => {
    const board = await start({ chip: 'ESP32' })
    const client = await openClient(board.clientPath)
    const frames: Uint8Array[] = []
    const decoder = new SlipDecoder((frame) => frames.push(frame))
    client.on('data', (chunk: Buffer) => decoder.push(new Uint8Array(chunk)))
    client.write(Buffer.from(slipEncode(buildRequest(Command.SYNC, SYNC_PAYLOAD))))
    while (frames.length < 8) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(frames).toHaveLength(8)
    for (const frame of frames)
      expect(parseResponse(frame)).toMatchObject({ op: Command.SYNC, value: 0x20120707 })
  })

  it('is flashed by esptool-js over the pty through a serialport-backed port', async () => {
    const board = await start({ chip: 'ESP32-S3', pacing: true })
    const port = new SerialportWebPort(board.clientPath)
    const run = createLoader(port, { baudrate: 921600 })
    cleanups.push(() => disconnectQuietly(run))
    // A pty has no modem lines: no reset sequence; the board already waits in download mode.
    expect(await run.loader.main('no_reset')).toBe('ESP32-S3 (QFN56) (revision v0.2)')
    expect(board.emulator.baud).toBe(921600)
    const image = noiseImage(0x6000, 17)
    await run.loader.writeFlash(flashOptions([{ data: image, address: 0x10000 }]))
    expect(board.emulator.readFlash(0x10000, image.length)).toEqual(image)
    expect(await run.loader.readFlash(0x10000, image.length)).toEqual(image)
  }, 30_000)

  it('when unplugged, closes the client’s port as disconnected and removes its path', async () => {
    const board = await start({ chip: 'ESP32' })
    const client = await openClient(board.clientPath)
    // serialport only notices the hangup through a failing read, so the client must be reading:
    // the ROM's eight answers to a SYNC, all received, prove its read is in place and leave the
    // line quiet. (One listener for good: removing the last 'data' listener pauses the stream,
    // and then nothing reads.)
    const frames: Uint8Array[] = []
    const decoder = new SlipDecoder((frame) => frames.push(frame))
    client.on('data', (chunk: Buffer) => decoder.push(new Uint8Array(chunk)))
    client.write(Buffer.from(slipEncode(buildRequest(Command.SYNC, SYNC_PAYLOAD))))
    await until(() => frames.length === 8)
    const closed = new Promise<(Error & { disconnected?: boolean }) | null>((resolve) =>
      client.once('close', resolve),
    )
    board.emulator.unplug()
    const error = await closed
    expect(error?.disconnected).toBe(true)
    const reopen = new SerialPort({ path: board.clientPath, baudRate: 115200, autoOpen: false })
    await expect(
      new Promise<void>((resolve, reject) => reopen.open((e) => (e ? reject(e) : resolve()))),
    ).rejects.toThrow(/No such file or directory/)
  })
})
