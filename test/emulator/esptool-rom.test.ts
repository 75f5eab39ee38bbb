// esptool-js 0.7.0 talking to the ROM loader without the stub: the quirks measured on a real ESP32.

import { UnsupportedCommandError } from 'esptool-js'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createLoader,
  disconnectQuietly,
  flashOptions,
  md5Hex,
  noiseImage,
  textImage,
  type LoaderRun,
} from './esptool-harness'
import { InProcessSerialPort } from '../../devkit/emulator/in-process-port'
import { RomError } from '../../devkit/emulator/protocol'
import { RomLoaderEmulator, type EmulatorOptions } from '../../devkit/emulator/rom-loader-emulator'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

/** Connects and identifies the chip but does not upload the stub, as a `--no-stub` flow would. */
async function connectWithoutStub(
  options: EmulatorOptions,
): Promise<{ emulator: RomLoaderEmulator; run: LoaderRun }> {
  const emulator = new RomLoaderEmulator({ pacing: false, ...options })
  const run = createLoader(new InProcessSerialPort(emulator))
  cleanups.push(async () => {
    await disconnectQuietly(run)
    emulator.dispose()
  })
  await run.loader.detectChip('default_reset')
  expect(emulator.loader).toBe('rom')
  return { emulator, run }
}

describe('esptool-js on the ESP32 ROM loader (no stub)', () => {
  it('has its 0x4000-byte compressed blocks rejected by the ROM with status 1,5 after three attempts', async () => {
    const { emulator, run } = await connectWithoutStub({ chip: 'ESP32' })
    const image = noiseImage(0x2000, 9) // compresses to more than 0x400 bytes
    await expect(
      run.loader.writeFlash(flashOptions([{ data: image, address: 0x10000 }])),
    ).rejects.toThrow('Failed to write compressed data to flash after seq 0 failed with status 1,5')
    expect(emulator.errorsSent).toContainEqual({
      command: 'FLASH_DEFL_DATA',
      code: RomError.INVALID_MESSAGE,
      loader: 'rom',
    })
    expect(emulator.commandCount('FLASH_DEFL_DATA')).toBe(3)
  })

  it('has uncompressed writes rejected too, since every block is padded to 0x4000 bytes', async () => {
    const { emulator, run } = await connectWithoutStub({ chip: 'ESP32' })
    await expect(
      run.loader.writeFlash(flashOptions([{ data: textImage(0x100), address: 0x10000 }], false)),
    ).rejects.toThrow('Failed to write to target Flash after seq 0 failed with status 1,5')
    expect(emulator.commandCount('FLASH_DATA')).toBe(3)
  })

  it('reports a false MD5 mismatch: the ROM answers 32 hex characters that esptool-js hex-encodes again', async () => {
    const { emulator, run } = await connectWithoutStub({ chip: 'ESP32' })
    const image = textImage(0x4000) // compresses below 0x400 bytes: one block, accepted
    await expect(
      run.loader.writeFlash(flashOptions([{ data: image, address: 0x10000 }])),
    ).rejects.toThrow('MD5 of file does not match data in flash!')
    expect(emulator.readFlash(0x10000, image.length)).toEqual(image) // the data is right
    const doubleEncoded = Buffer.from(md5Hex(image), 'latin1').toString('hex')
    expect(run.output()).toContain(`Flash md5: ${doubleEncoded}`)
    expect(await run.loader.flashMd5sum(0x10000, image.length)).toBe(doubleEncoded)
  })

  it('refuses the stub-only READ_FLASH and ERASE_FLASH as unsupported commands', async () => {
    const { run } = await connectWithoutStub({ chip: 'ESP32' })
    await expect(run.loader.readFlash(0, 0x100)).rejects.toBeInstanceOf(UnsupportedCommandError)
    await expect(run.loader.eraseFlash()).rejects.toBeInstanceOf(UnsupportedCommandError)
  })

  it('identifies an ESP32-C3 through GET_SECURITY_INFO, without reading the magic register', async () => {
    const { emulator, run } = await connectWithoutStub({ chip: 'ESP32-C3' })
    expect(run.loader.chip.CHIP_NAME).toBe('ESP32-C3')
    expect(emulator.commandCount('GET_SECURITY_INFO')).toBe(1)
    expect(emulator.commandCount('READ_REG')).toBe(0)
  })
})
