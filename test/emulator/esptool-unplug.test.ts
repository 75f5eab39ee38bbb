// Unplugging the board in the middle of flashing, then plugging it back in and retrying.

import { afterEach, describe, expect, it } from 'vitest'
import { createLoader, disconnectQuietly, flashOptions, noiseImage, timed } from './esptool-harness'
import { InProcessSerialPort } from '../../devkit/emulator/in-process-port'
import { RomLoaderEmulator } from '../../devkit/emulator/rom-loader-emulator'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

describe('unplugging the board', () => {
  it('is seen by the port at once, while esptool-js only fails after its block timeouts and retries', async () => {
    const emulator = new RomLoaderEmulator({ chip: 'ESP32', pacing: false })
    const port = new InProcessSerialPort(emulator)
    const run = createLoader(port, { baudrate: 921600 })
    cleanups.push(async () => {
      await disconnectQuietly(run)
      emulator.dispose()
    })
    let lostAt = 0
    port.addEventListener('disconnect', () => {
      lostAt = performance.now()
    })
    await run.loader.main()

    emulator.armUnplug(0x4000 + 0x1000) // the first 16 KiB block arrives, the second is cut off
    const image = noiseImage(0x10000, 13)
    const started = performance.now()
    const attempt = await timed(() =>
      run.loader.writeFlash(flashOptions([{ data: image, address: 0x10000 }])),
    )

    expect(emulator.state).toBe('unplugged')
    // The port knew before esptool-js gave up (its three 3 s block waits).
    expect(lostAt).toBeGreaterThan(started)
    expect(lostAt).toBeLessThan(started + attempt.ms)
    expect(port.readable).toBeNull()
    expect(port.writable).toBeNull()
    expect(attempt.ok).toBe(false)
    if (attempt.ok) return
    // esptool-js's readLoop swallows the NetworkError; the block write then waits 3 s, twice more
    // after 150 ms pauses (its writes go nowhere because port.writable is null), and gives up.
    expect((attempt.error as Error).message).toBe(
      'Serial data stream stopped: Possible serial noise or corruption.',
    )
    expect(attempt.ms).toBeGreaterThan(9000)
    // What block 0 decompressed to is in flash; the rest of the image never arrived.
    const stored = emulator.readFlash(0x10000, image.length)
    const written = stored.findIndex((byte, i) => byte !== image[i])
    expect(written).toBeGreaterThan(0x3f00)
    expect(written).toBeLessThan(0x4000)
    expect(stored.subarray(0x5000).every((b) => b === 0xff)).toBe(true)
  }, 60_000)

  it('can be flashed again after it is plugged back in', async () => {
    const emulator = new RomLoaderEmulator({ chip: 'ESP32-C3', pacing: false })
    const port = new InProcessSerialPort(emulator)
    const first = createLoader(port)
    await first.loader.main()
    emulator.unplug()
    await expect(port.open({ baudRate: 115200 })).rejects.toThrow(/already open/)
    await disconnectQuietly(first)
    await expect(port.open({ baudRate: 115200 })).rejects.toMatchObject({ name: 'NetworkError' })

    emulator.replug()
    const retry = createLoader(port)
    cleanups.push(async () => {
      await disconnectQuietly(retry)
      emulator.dispose()
    })
    await retry.loader.main()
    const image = noiseImage(0x2000, 2)
    await retry.loader.writeFlash(flashOptions([{ data: image, address: 0x0 }]))
    expect(emulator.readFlash(0, image.length)).toEqual(image)
  })
})
