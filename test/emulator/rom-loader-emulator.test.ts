import { afterEach, describe, expect, it } from 'vitest'
import { FakeHost, settle } from './fake-host'
import {
  Command,
  RomError,
  StubError,
  SYNC_PAYLOAD,
  buildRequest,
  dataChecksum,
  parseResponse,
  words,
} from '../../devkit/emulator/protocol'
import { RomLoaderEmulator, type EmulatorOptions } from '../../devkit/emulator/rom-loader-emulator'
import { slipEncode } from '../../devkit/emulator/slip'

const emulators: RomLoaderEmulator[] = []

function board(options: EmulatorOptions = {}): { emulator: RomLoaderEmulator; host: FakeHost } {
  const emulator = new RomLoaderEmulator({ pacing: false, startInDownloadMode: true, ...options })
  emulators.push(emulator)
  return { emulator, host: new FakeHost(emulator) }
}

afterEach(() => {
  for (const emulator of emulators.splice(0)) emulator.dispose()
})

/** Uploads a tiny "program" and jumps to it, which the emulator treats as starting the stub. */
async function startStub(host: FakeHost): Promise<void> {
  const code = new Uint8Array(64).fill(0x11)
  await host.request(Command.MEM_BEGIN, words(code.length, 1, 0x1800, 0x40080000))
  const header = words(code.length, 0, 0, 0)
  await host.request(Command.MEM_DATA, new Uint8Array([...header, ...code]), dataChecksum(code))
  const before = host.frames.length
  await host.send(Command.MEM_END, words(0, 0x40080000))
  const frames = await host.waitForFrames(before + 2)
  expect(new TextDecoder().decode(frames[before + 1])).toBe('OHAI')
}

describe('RomLoaderEmulator protocol', () => {
  it('answers one SYNC from the ESP32 ROM with eight responses carrying 0x20120707 and four status bytes', async () => {
    const { host } = board({ chip: 'ESP32' })
    await host.send(Command.SYNC, SYNC_PAYLOAD)
    const frames = await host.waitForFrames(8)
    await settle(20)
    expect(host.frames).toHaveLength(8)
    for (const frame of frames) {
      const response = parseResponse(frame)
      expect(response).toMatchObject({ op: Command.SYNC, value: 0x20120707 })
      expect([...(response?.data ?? [])]).toEqual([0, 0, 0, 0])
    }
  })

  it('answers with two status bytes on the ESP8266 ROM', async () => {
    const { host } = board({ chip: 'ESP8266' })
    const response = await host.request(Command.READ_REG, words(0x40001000))
    expect(response.value).toBe(0xfff0c101)
    expect([...response.data]).toEqual([0, 0])
  })

  it('answers a command its ROM lacks with repeated invalid-message replies under another command byte', async () => {
    const { host, emulator } = board({ chip: 'ESP32' })
    await host.send(Command.GET_SECURITY_INFO)
    const frames = await host.waitForFrames(8)
    for (const frame of frames) {
      const response = parseResponse(frame)
      expect(response?.op).not.toBe(Command.GET_SECURITY_INFO)
      expect([...(response?.data ?? [])].slice(0, 2)).toEqual([1, RomError.INVALID_MESSAGE])
    }
    expect(emulator.errorsSent).toEqual([{ command: 'GET_SECURITY_INFO', code: 5, loader: 'rom' }])
  })

  it('answers GET_SECURITY_INFO on the ESP32-S3 ROM with chip id 9', async () => {
    const { host } = board({ chip: 'ESP32-S3' })
    const response = await host.request(Command.GET_SECURITY_INFO)
    expect(response.data).toHaveLength(24)
    expect(new DataView(response.data.buffer, response.data.byteOffset).getUint32(12, true)).toBe(9)
  })

  it('rejects a compressed block larger than 0x400 bytes in the ROM with error 0x05', async () => {
    const { host } = board({ chip: 'ESP32' })
    await host.request(Command.FLASH_DEFL_BEGIN, words(0x4000, 1, 0x4000, 0x10000))
    const block = new Uint8Array(0x800).fill(0x55)
    const response = await host.request(
      Command.FLASH_DEFL_DATA,
      new Uint8Array([...words(block.length, 0, 0, 0), ...block]),
      dataChecksum(block),
    )
    expect(response.op).toBe(Command.FLASH_DEFL_DATA)
    expect([...response.data]).toEqual([1, RomError.INVALID_MESSAGE, 0, 0])
  })

  it('rejects a block with a wrong checksum: 0x07 from the ROM, 0xC1 from the stub', async () => {
    const { host } = board({ chip: 'ESP32' })
    const block = new Uint8Array(0x100).fill(0x42)
    const payload = new Uint8Array([...words(block.length, 0, 0, 0), ...block])
    await host.request(Command.FLASH_BEGIN, words(0x100, 1, 0x100, 0x0, 0))
    const fromRom = await host.request(Command.FLASH_DATA, payload, dataChecksum(block) ^ 1)
    expect([...fromRom.data].slice(0, 2)).toEqual([1, RomError.INVALID_CRC])

    await startStub(host)
    await host.request(Command.FLASH_BEGIN, words(0x100, 1, 0x100, 0x0))
    const fromStub = await host.request(Command.FLASH_DATA, payload, dataChecksum(block) ^ 1)
    expect([...fromStub.data]).toEqual([1, StubError.BAD_DATA_CHECKSUM])
  })

  it('starts the stub when code uploaded with MEM_* is run; the stub answers SYNC once with value 0', async () => {
    const { host, emulator } = board({ chip: 'ESP32-C3' })
    await startStub(host)
    expect(emulator.loader).toBe('stub')
    host.clear()
    await host.send(Command.SYNC, SYNC_PAYLOAD)
    await host.waitForFrames(1)
    await settle(20)
    expect(host.frames).toHaveLength(1)
    expect(parseResponse(host.frames[0] ?? new Uint8Array(0))).toMatchObject({
      op: Command.SYNC,
      value: 0,
    })
  })

  it('goes silent when told to run code at an address where nothing was loaded', async () => {
    const { host, emulator } = board({ chip: 'ESP32' })
    await host.request(Command.MEM_END, words(0, 0x40090000))
    expect(emulator.state).toBe('crashed')
    host.clear()
    await host.send(Command.SYNC, SYNC_PAYLOAD)
    await settle(30)
    expect(host.frames).toHaveLength(0)
  })

  it('keeps no more READ_FLASH packets in flight than the host allows and ends with the MD5', async () => {
    const { host, emulator } = board({ chip: 'ESP32' })
    const content = Uint8Array.from({ length: 0x300 }, (_, i) => i & 0xff)
    emulator.loadFlash(0x2000, content)
    await startStub(host)
    host.clear()
    const response = await host.request(Command.READ_FLASH, words(0x2000, 0x300, 0x100, 1))
    expect([...response.data]).toEqual([0, 0])
    await host.waitForFrames(2)
    await settle(20)
    expect(host.frames).toHaveLength(2) // the answer and one packet: the window is full
    let received = 0
    for (let packet = 0; packet < 3; packet++) {
      received += host.frames[1 + packet]?.length ?? 0
      await host.sendRaw(slipEncode(words(received)))
      await host.waitForFrames(3 + packet)
    }
    const data = host.frames.slice(1, 4).flatMap((frame) => [...frame])
    expect(Uint8Array.from(data)).toEqual(content)
    expect(Buffer.from(host.frames[4] ?? []).toString('hex')).toBe(
      emulator.flash.md5(0x2000, 0x300).toString('hex'),
    )
  })

  it('sends noise the host cannot frame once the host listens at a different rate than the board talks', async () => {
    const { host, emulator } = board({ chip: 'ESP32' })
    await host.request(Command.CHANGE_BAUDRATE, words(460800, 0))
    expect(emulator.baud).toBe(460800)
    host.clear()
    await host.send(Command.SYNC, SYNC_PAYLOAD) // still at 115200: the board hears noise
    await settle(30)
    expect(host.frames).toHaveLength(0)
    expect(emulator.commandCount('SYNC')).toBe(0)
  })

  it('ignores garbage between frames and reassembles frames split across deliveries', async () => {
    const { host, emulator } = board({ chip: 'ESP32' })
    const frame = slipEncode(buildRequest(Command.READ_REG, words(0x3ff5a004)))
    await host.sendRaw(Uint8Array.from([0x41, 0x42, ...frame.subarray(0, 5)]))
    await host.sendRaw(frame.subarray(5))
    const [first] = await host.waitForFrames(1)
    expect(parseResponse(first ?? new Uint8Array(0))?.value).toBe(0xc4123456)
    expect(emulator.commandCount('READ_REG')).toBe(1)
  })
})

describe('RomLoaderEmulator reset wiring', () => {
  const text = (host: FakeHost): string => Buffer.from(host.rawBytes).toString('latin1')

  it('enters download mode through the classic DTR/RTS sequence and prints the ROM banner', async () => {
    const { host, emulator } = board({ chip: 'ESP32', startInDownloadMode: false })
    expect(emulator.state).toBe('app')
    emulator.setControlLines({ dtr: false, rts: true }) // EN low
    expect(emulator.state).toBe('in-reset')
    emulator.setControlLines({ dtr: true, rts: false }) // EN released while IO0 is low
    emulator.setControlLines({ dtr: false, rts: false })
    await settle(10)
    expect(emulator.state).toBe('rom')
    expect(text(host)).toContain(
      'boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\nwaiting for download',
    )
  })

  it('boots the app with its banner after a plain reset (EN pulse with IO0 high)', async () => {
    const banner =
      'FFBOOT v=1 uid=dev-1 fp=0011aabb code=ABCD-EFGH mac=24:0a:c4:12:34:56 fw=1.0.0\r\n'
    const { host, emulator } = board({ chip: 'ESP32', app: { text: banner } })
    emulator.setControlLines({ dtr: false, rts: true })
    emulator.setControlLines({ dtr: false, rts: false })
    await settle(10)
    expect(emulator.state).toBe('app')
    expect(text(host)).toContain('boot:0x13 (SPI_FAST_FLASH_BOOT)')
    expect(text(host)).toContain(banner)
  })

  it('does not reset when RTS is pulsed while DTR stays asserted (both transistors off)', async () => {
    const { emulator } = board({ chip: 'ESP32', startInDownloadMode: false })
    emulator.setControlLines({ dtr: true, rts: false })
    emulator.setControlLines({ rts: true })
    emulator.setControlLines({ rts: false })
    expect(emulator.stats.boots).toBe(0)
    expect(emulator.state).toBe('app')
  })

  it('enters download mode over USB-Serial/JTAG only through the (1,1) → (0,1) → (0,0) walk', async () => {
    const { emulator } = board({
      chip: 'ESP32-S3',
      resetCircuit: 'usb-jtag-serial',
      startInDownloadMode: false,
    })
    emulator.setControlLines({ dtr: false, rts: true })
    emulator.setControlLines({ dtr: false, rts: false })
    expect(emulator.state).toBe('app')
    emulator.setControlLines({ dtr: true, rts: true })
    emulator.setControlLines({ dtr: false, rts: true })
    expect(emulator.state).toBe('in-reset')
    emulator.setControlLines({ dtr: false, rts: false })
    expect(emulator.state).toBe('rom')
  })

  it('never enters download mode when the board is strapped for flash boot', async () => {
    const { emulator } = board({
      chip: 'ESP32',
      startInDownloadMode: false,
      faults: { notInDownloadMode: true },
    })
    emulator.setControlLines({ dtr: false, rts: true })
    emulator.setControlLines({ dtr: true, rts: false })
    expect(emulator.state).toBe('app')
  })
})
