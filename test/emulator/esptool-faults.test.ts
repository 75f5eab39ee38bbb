// Board faults and how esptool-js 0.7.0 reports them (what the app's flashing code will see).

import { ESPError } from 'esptool-js'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createLoader,
  disconnectQuietly,
  flashOptions,
  noiseImage,
  textImage,
  timed,
  type LoaderRun,
} from './esptool-harness'
import { InProcessSerialPort } from '../../devkit/emulator/in-process-port'
import { Command, words } from '../../devkit/emulator/protocol'
import { RomLoaderEmulator, type EmulatorOptions } from '../../devkit/emulator/rom-loader-emulator'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

function setUp(
  options: EmulatorOptions,
  loaderOptions: Parameters<typeof createLoader>[1] = {},
): { emulator: RomLoaderEmulator; run: LoaderRun } {
  const emulator = new RomLoaderEmulator({ pacing: false, ...options })
  const run = createLoader(new InProcessSerialPort(emulator), loaderOptions)
  cleanups.push(async () => {
    await disconnectQuietly(run)
    emulator.dispose()
  })
  return { emulator, run }
}

describe('faults', () => {
  it('a corrupted block makes the MD5 check fail with the flash holding the wrong byte', async () => {
    const { emulator, run } = setUp({
      chip: 'ESP32',
      faults: { corruptFlashOffsets: [0x10000 + 0x1234] },
    })
    await run.loader.main()
    const image = noiseImage(0x4000, 21)
    await expect(
      run.loader.writeFlash(flashOptions([{ data: image, address: 0x10000 }])),
    ).rejects.toThrow('MD5 of file does not match data in flash!')
    const stored = emulator.readFlash(0x10000, image.length)
    const differing = [...stored].flatMap((byte, i) => (byte === image[i] ? [] : [i]))
    expect(differing).toEqual([0x1234])
  })

  it('a board that is not in download mode fails main() with "Failed to connect with the device"', async () => {
    const banner =
      'FFBOOT v=1 uid=dev-1 fp=0011aabb code=ABCD-EFGH mac=24:0a:c4:12:34:56 fw=1.0.0\r\n'
    const { emulator, run } = setUp(
      { chip: 'ESP32', app: { text: banner }, faults: { notInDownloadMode: true } },
      { debugLogging: true },
    )
    const attempt = await timed(() => run.loader.main())
    expect(attempt.ok).toBe(false)
    if (attempt.ok) return
    expect(attempt.error).toBeInstanceOf(ESPError)
    expect((attempt.error as Error).message).toBe('Failed to connect with the device')
    // The reason is only in the debug log: the boot banner esptool-js peeked at.
    expect(run.output()).toContain('bootMode:0x13 downloadMode:false')
    expect(emulator.stats.bytesReceived).toBe(7 * 5 * 46) // 7 attempts × 5 SYNC frames of 46 bytes, none answered
    expect(emulator.commandCount('SYNC')).toBe(0) // the app does not speak the protocol
    expect(attempt.ms).toBeGreaterThan(4000) // 7 resets alternating 50 / 550 ms plus 35 × 100 ms waits
  }, 15_000)

  it('slow answers within the timeouts only slow main() down', async () => {
    const { emulator, run } = setUp({ chip: 'ESP32-C3', faults: { responseDelayMs: 25 } })
    const attempt = await timed(() => run.loader.main())
    expect(attempt.ok).toBe(true)
    expect(attempt.ms).toBeGreaterThan(emulator.commandCount('READ_REG') * 25)
  })

  it('an answer later than the 3 s timeout fails with "Serial data stream stopped"', async () => {
    const { run } = setUp({
      chip: 'ESP32',
      faults: { responseDelayByCommand: { SPI_FLASH_MD5: 3500 } },
    })
    await run.loader.main()
    const attempt = await timed(() =>
      run.loader.writeFlash(flashOptions([{ data: textImage(0x2000), address: 0x10000 }])),
    )
    expect(attempt.ok).toBe(false)
    if (attempt.ok) return
    expect((attempt.error as Error).message).toBe(
      'Serial data stream stopped: Possible serial noise or corruption.',
    )
    expect(attempt.ms).toBeGreaterThanOrEqual(3000)
  }, 10_000)

  it('a baud rate the wiring cannot carry makes esptool-js fall back to 115200 and upload the stub again', async () => {
    const { emulator, run } = setUp(
      { chip: 'ESP32', faults: { maxReliableBaud: 460800 } },
      { baudrate: 921600 },
    )
    await run.loader.main()
    expect(run.output()).toContain(
      'The board stopped responding after changing baud rate. Continuing at 115200 baud.',
    )
    expect(run.transport.baudrate).toBe(115200)
    expect(emulator.baud).toBe(115200)
    expect(emulator.stats.stubStarts).toBe(2)
    const image = noiseImage(0x3000, 4)
    await run.loader.writeFlash(flashOptions([{ data: image, address: 0x10000 }]))
    expect(emulator.readFlash(0x10000, image.length)).toEqual(image)
  }, 10_000)

  it('a baud rate the wiring cannot carry leaves every later command unanswered', async () => {
    const { emulator, run } = setUp({ chip: 'ESP32', faults: { maxReliableBaud: 460800 } })
    await run.loader.main()
    await run.loader.command(Command.CHANGE_BAUDRATE, words(921600, 115200))
    await run.transport.changeBaudrate(921600)
    expect(emulator.baud).toBe(921600)
    await expect(run.loader.readReg(0x40001000, 500)).rejects.toThrow(
      /Serial data stream stopped|Invalid head of packet/,
    )
  })
})
