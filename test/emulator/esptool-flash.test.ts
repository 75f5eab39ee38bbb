// esptool-js 0.7.0 flashing through the stub on the emulator: writes, verification, erase, speed.

import { afterEach, describe, expect, it } from 'vitest'
import {
  createLoader,
  disconnectQuietly,
  flashOptions,
  md5Hex,
  noiseImage,
  textImage,
  timed,
  type LoaderRun,
} from './esptool-harness'
import {
  InProcessSerialPort,
  type InProcessPortOptions,
} from '../../devkit/emulator/in-process-port'
import { Command, words } from '../../devkit/emulator/protocol'
import { RomLoaderEmulator, type EmulatorOptions } from '../../devkit/emulator/rom-loader-emulator'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

function setUp(
  options: EmulatorOptions,
  loaderOptions: Parameters<typeof createLoader>[1] = {},
  portOptions: InProcessPortOptions = {},
): { emulator: RomLoaderEmulator; port: InProcessSerialPort; run: LoaderRun } {
  const emulator = new RomLoaderEmulator({ pacing: false, ...options })
  const port = new InProcessSerialPort(emulator, portOptions)
  const run = createLoader(port, loaderOptions)
  cleanups.push(async () => {
    await disconnectQuietly(run)
    emulator.dispose()
  })
  return { emulator, port, run }
}

const bootloader = textImage(0x1a00, '\xe9')
const partitions = textImage(0xc00, 'partitions:')
const app = noiseImage(0x9000, 7)

describe('esptool-js writeFlash through the stub', () => {
  it('writes three compressed parts, verifies each by MD5 and reads them back', async () => {
    const { emulator, run } = setUp({ chip: 'ESP32' }, { baudrate: 921600 })
    await run.loader.main()
    const progress: number[] = []
    await run.loader.writeFlash({
      ...flashOptions([
        { data: bootloader, address: 0x1000 },
        { data: partitions, address: 0x8000 },
        { data: app, address: 0x10000 },
      ]),
      reportProgress: (_file, written) => progress.push(written),
    })
    expect(run.output().match(/Hash of data verified\./g)).toHaveLength(3)
    expect(emulator.readFlash(0x1000, bootloader.length)).toEqual(bootloader)
    expect(emulator.readFlash(0x8000, partitions.length)).toEqual(partitions)
    expect(emulator.readFlash(0x10000, app.length)).toEqual(app)
    expect(emulator.readFlash(0x0, 0x1000).every((b) => b === 0xff)).toBe(true)
    expect(emulator.commandCounts).toMatchObject({
      FLASH_DEFL_BEGIN: 3,
      FLASH_DEFL_END: 3,
      SPI_FLASH_MD5: 3,
    })
    expect(progress.length).toBeGreaterThan(3)
    expect(await run.loader.readFlash(0x10000, app.length)).toEqual(app)
    expect(md5Hex(await run.loader.readFlash(0x8000, partitions.length))).toBe(md5Hex(partitions))
  })

  it('erases only the sectors it writes, leaving neighbouring data alone', async () => {
    const { emulator, run } = setUp({ chip: 'ESP32-C3' })
    const neighbour = textImage(0x1000, 'nvs')
    emulator.loadFlash(0x9000, neighbour)
    emulator.loadFlash(0x10000, new Uint8Array(0x3000)) // old firmware, all zeros
    await run.loader.main()
    const image = noiseImage(0x1800, 3)
    await run.loader.writeFlash(flashOptions([{ data: image, address: 0x10000 }]))
    expect(emulator.readFlash(0x10000, image.length)).toEqual(image)
    expect(emulator.readFlash(0x10000 + image.length, 0x800).every((b) => b === 0xff)).toBe(true) // rest of the sector
    expect(emulator.readFlash(0x12000, 0x1000).every((b) => b === 0x00)).toBe(true) // untouched sector
    expect(emulator.readFlash(0x9000, neighbour.length)).toEqual(neighbour)
  })

  it('writes uncompressed blocks through the stub when compression is off', async () => {
    const { emulator, run } = setUp({ chip: 'ESP32-S3' })
    await run.loader.main()
    const image = noiseImage(0x5000, 11)
    await run.loader.writeFlash(flashOptions([{ data: image, address: 0x20000 }], false))
    expect(emulator.readFlash(0x20000, image.length)).toEqual(image)
    expect(emulator.commandCounts).toMatchObject({ FLASH_BEGIN: 1, FLASH_DATA: 2, FLASH_END: 1 })
    expect(run.output()).toContain('Hash of data verified.')
  })

  it('erases the whole chip with eraseFlash', async () => {
    const { emulator, run } = setUp({ chip: 'ESP32', flashSize: 8 * 1024 * 1024 })
    emulator.loadFlash(0x7ff000, textImage(0x1000))
    await run.loader.main()
    await run.loader.writeFlash(flashOptions([{ data: app, address: 0x10000 }]))
    await run.loader.eraseFlash()
    expect(emulator.commandCount('ERASE_FLASH')).toBe(1)
    expect(emulator.readFlash(0, 8 * 1024 * 1024).every((b) => b === 0xff)).toBe(true)
  })

  it('answers ERASE_REGION and SPI_SET_PARAMS from the stub', async () => {
    const { emulator, run } = setUp({ chip: 'ESP32' })
    emulator.loadFlash(0x3000, textImage(0x3000))
    await run.loader.main()
    await run.loader.checkCommand('erase region', Command.ERASE_REGION, words(0x4000, 0x1000))
    expect(emulator.readFlash(0x4000, 0x1000).every((b) => b === 0xff)).toBe(true)
    expect(emulator.readFlash(0x3000, 1)[0]).not.toBe(0xff)
    await run.loader.checkCommand(
      'set SPI params',
      Command.SPI_SET_PARAMS,
      words(0, 4 * 1024 * 1024, 0x10000, 0x1000, 0x100, 0xffff),
    )
    expect(emulator.stats.spiParams).toEqual([0, 4 * 1024 * 1024, 0x10000, 0x1000, 0x100, 0xffff])
  })
})

describe('baud rate change', () => {
  it('switches the board and the port to 921600 in place and keeps flashing', async () => {
    const { emulator, port, run } = setUp({ chip: 'ESP32' }, { baudrate: 921600 })
    await run.loader.main()
    expect(emulator.baud).toBe(921600)
    expect(port.baudRate).toBe(921600)
    expect(emulator.commandCount('CHANGE_BAUDRATE')).toBe(1)
    await run.loader.writeFlash(flashOptions([{ data: app, address: 0x10000 }]))
    expect(emulator.readFlash(0x10000, app.length)).toEqual(app)
  })

  it('also works when the port has no setBaudRate and esptool-js closes and re-opens it', async () => {
    const { emulator, port, run } = setUp(
      { chip: 'ESP32-C3' },
      { baudrate: 460800 },
      { inPlaceBaudChange: false },
    )
    expect(port.setBaudRate).toBeUndefined()
    await run.loader.main()
    expect(emulator.baud).toBe(460800)
    expect(port.baudRate).toBe(460800)
    expect(emulator.loader).toBe('stub')
  })

  it('paces transfers at the configured rate, so speed figures are real', async () => {
    const { run } = setUp({ chip: 'ESP32', pacing: true }, { baudrate: 460800 })
    await run.loader.main()
    const image = noiseImage(0x8000, 5) // incompressible: ~32 KiB on the wire
    const write = await timed(() =>
      run.loader.writeFlash({
        ...flashOptions([{ data: image, address: 0x10000 }]),
        calculateMD5Hash: undefined,
      }),
    )
    expect(write.ok).toBe(true)
    const wireSeconds = (image.length * 10) / 460800
    // Never faster than the wire; how close to it the write gets is the benchmark's to report.
    expect(write.ms / 1000).toBeGreaterThanOrEqual(wireSeconds)
  })
})
