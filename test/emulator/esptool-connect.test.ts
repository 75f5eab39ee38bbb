// esptool-js 0.7.0, unmodified, connecting to emulated boards through the in-process port.

import { afterEach, describe, expect, it } from 'vitest'
import { createLoader, disconnectQuietly, type LoaderRun } from './esptool-harness'
import { InProcessSerialPort } from '../../devkit/emulator/in-process-port'
import { RomLoaderEmulator, type EmulatorOptions } from '../../devkit/emulator/rom-loader-emulator'
import type { ChipName } from '../../devkit/emulator/chips'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

function setUp(
  options: EmulatorOptions,
  loaderOptions: Parameters<typeof createLoader>[1] = {},
): { emulator: RomLoaderEmulator; port: InProcessSerialPort; run: LoaderRun } {
  const emulator = new RomLoaderEmulator({ pacing: false, ...options })
  const port = new InProcessSerialPort(emulator)
  const run = createLoader(port, loaderOptions)
  cleanups.push(async () => {
    await disconnectQuietly(run)
    emulator.dispose()
  })
  return { emulator, port, run }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('esptool-js main() against the emulator', () => {
  const boards: { chip: ChipName; mac: string; description: string }[] = [
    { chip: 'ESP32', mac: 'a4:cf:12:9e:01:02', description: 'ESP32-D0WD-V3 (revision 3)' },
    { chip: 'ESP32-S3', mac: 'f4:12:fa:40:50:60', description: 'ESP32-S3 (QFN56) (revision v0.2)' },
    { chip: 'ESP32-C3', mac: '84:f7:03:aa:bb:cc', description: 'ESP32-C3 (QFN32) (revision v0.4)' },
    { chip: 'ESP8266', mac: '5c:cf:7f:01:02:03', description: 'ESP8266EX' },
  ]

  it.each(boards)(
    'detects a $chip with MAC $mac through the classic reset and starts the stub',
    async ({ chip, mac, description }) => {
      const { emulator, run } = setUp({ chip, mac })
      const result = await run.loader.main()
      expect(result).toBe(description)
      expect(run.loader.chip.CHIP_NAME).toBe(chip)
      expect(run.output()).toContain(`MAC: ${mac}`)
      expect(run.output()).toContain('Stub running...')
      expect(emulator.loader).toBe('stub')
      expect(emulator.stats.stubStarts).toBe(1)
    },
    10_000,
  )

  it('reports a 16 MiB flash detected through the SPI registers', async () => {
    const { run } = setUp({ chip: 'ESP32', flashSize: 16 * 1024 * 1024 })
    await run.loader.main()
    expect(run.output()).toContain('Flash ID: 1840c8')
    expect(await run.loader.detectFlashSize()).toBe('16MB')
  })

  it('resets an ESP32-S3 on its USB-Serial/JTAG port with the USB sequence, chosen from VID/PID', async () => {
    const { emulator, port, run } = setUp(
      { chip: 'ESP32-S3', resetCircuit: 'usb-jtag-serial' },
      { debugLogging: true },
    )
    expect(port.getInfo()).toEqual({ usbVendorId: 0x303a, usbProductId: 0x1001 })
    expect(await run.loader.main()).toBe('ESP32-S3 (QFN56) (revision v0.2)')
    expect(run.output()).toContain('using USB JTAG Serial Reset')
    expect(emulator.loader).toBe('stub')
  })

  it('sees the ROM banner in the boot log before it syncs', async () => {
    const { run } = setUp({ chip: 'ESP32' }, { debugLogging: true })
    await run.loader.main()
    expect(run.output()).toContain('bootMode:0x3 downloadMode:true')
  })
})

describe('resetting the board after flashing', () => {
  const banner =
    'FFBOOT v=1 uid=dev-1 fp=0011aabb code=ABCD-EFGH mac=a4:cf:12:9e:01:02 fw=1.0.0\r\n'

  it("leaves the board in the stub with after('hard_reset'), because esptool-js 0.7.0 never asserts RTS", async () => {
    const { emulator, run } = setUp({ chip: 'ESP32', app: { text: banner } })
    await run.loader.main()
    await run.loader.after('hard_reset')
    expect(emulator.state).toBe('stub')
    expect(emulator.stats.boots).toBe(1) // only the download-mode boot
  })

  it('boots the app and shows its banner after an explicit EN pulse with DTR released', async () => {
    const { emulator, port, run } = setUp({ chip: 'ESP32', app: { text: banner } })
    await run.loader.main()
    await run.transport.disconnect()
    await port.open({ baudRate: 115200 })
    const reader = port.readable?.getReader()
    await port.setSignals({ dataTerminalReady: false, requestToSend: true })
    await sleep(100)
    await port.setSignals({ dataTerminalReady: false, requestToSend: false })
    let seen = ''
    while (!seen.includes('FFBOOT')) {
      const chunk = await reader?.read()
      seen += Buffer.from(chunk?.value ?? []).toString('latin1')
    }
    reader?.releaseLock()
    await port.close()
    expect(emulator.state).toBe('app')
    expect(seen).toContain('rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)')
    expect(seen).toContain(banner)
  })
})
