import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { Board } from '../../main/boards/catalog'
import {
  flashBoard,
  type FlashDependencies,
  type FlashImage,
  type FlashRequest,
} from '../../main/flash/flash-board'
import type { FlashEvent, FlashResult } from '../../main/flash/flash-events'
import { InProcessSerialPort } from '../../devkit/emulator/in-process-port'
import { RomLoaderEmulator, type EmulatorOptions } from '../../devkit/emulator/rom-loader-emulator'
import { loadCatalog } from '../helpers/fixtures'

/**
 * A valid ESP32 app image of about `size` bytes (header, extended header with chip id 0, random
 * segments, checksum), so esptool-js accepts it and patches the bootloader's flash settings.
 */
function espImage(size: number): Uint8Array {
  const segments: Buffer[] = []
  let remaining = Math.max(64, size - 24 - 16)
  while (remaining > 0) {
    const length = Math.min(32_768, remaining) & ~3
    const header = Buffer.alloc(8)
    header.writeUInt32LE(0x3ffe0000, 0)
    header.writeUInt32LE(length, 4)
    segments.push(Buffer.concat([header, randomBytes(length)]))
    remaining -= length + 8
    if (length === 0) break
  }
  const head = Buffer.alloc(24)
  head.set([0xe9, segments.length, 0, 0x20], 0) // magic, segments, QIO, 40 MHz / 1MB as a build leaves them
  head[8] = 0xee // extended header; chip id 0 (ESP32) at bytes 12-13, no SHA-256 appended
  const body = Buffer.concat([head, ...segments])
  let checksum = 0xef
  for (const segment of segments) for (const byte of segment.subarray(8)) checksum ^= byte
  const padding = 15 - (body.length % 16)
  return new Uint8Array(Buffer.concat([body, Buffer.alloc(padding), Buffer.from([checksum])]))
}

function image(parts: { name: string; offset: number; size: number }[]): FlashImage {
  return {
    name: 'test-firmware',
    sha256: 'f'.repeat(64),
    parts: parts.map((p) => ({
      name: p.name,
      offset: p.offset,
      data: p.name === 'partitions' ? new Uint8Array(randomBytes(p.size)) : espImage(p.size),
    })),
  }
}

const ESP32_PARTS = [
  { name: 'bootloader', offset: 0x1000, size: 18_000 },
  { name: 'partitions', offset: 0x8000, size: 3072 },
  { name: 'app', offset: 0x10000, size: 90_000 },
]

async function run(
  options: EmulatorOptions,
  request: Partial<FlashRequest> & { boardId?: string; image?: FlashImage },
  signal?: AbortSignal,
  onEvent?: (event: FlashEvent, emulator: RomLoaderEmulator) => void,
): Promise<{
  result: FlashResult
  events: FlashEvent[]
  emulator: RomLoaderEmulator
  port: InProcessSerialPort
  flashImage: FlashImage
}> {
  const emulator = new RomLoaderEmulator({
    chip: 'ESP32',
    pacing: false,
    resetCircuit: 'classic',
    ...options,
  })
  const port = new InProcessSerialPort(emulator)
  const catalog = await loadCatalog()
  const board: Board | null =
    request.boardId === undefined
      ? catalog.get('esp32-devkitc')
      : request.boardId
        ? catalog.get(request.boardId)
        : null
  const flashImage = request.image ?? image(ESP32_PARTS)
  const events: FlashEvent[] = []
  const deps: FlashDependencies = { openPort: () => port as never, now: () => performance.now() }
  const result = await flashBoard(
    {
      port: { path: 'emulated' },
      board,
      loadImage: async () => flashImage,
      baud: 921600,
      ...request,
    },
    (event) => {
      events.push(event)
      onEvent?.(event, emulator)
    },
    signal,
    deps,
  )
  return { result, events, emulator, port, flashImage }
}

function warnings(events: FlashEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'log' && e.level === 'warning' ? [e.message] : []))
}

describe('flashBoard', () => {
  it('writes every part through the stub, verifies it by MD5 and leaves exactly those bytes in flash', async () => {
    const { result, events, emulator, port, flashImage } = await run(
      { mac: '24:0a:c4:00:11:22' },
      {},
    )
    expect(result).toMatchObject({
      ok: true,
      chip: 'ESP32',
      mac: '24:0a:c4:00:11:22',
      stub: true,
      baud: 921600,
      flashSize: '4MB',
    })
    if (!result.ok) return
    expect(result.parts.map((p) => [p.name, p.offset])).toEqual(
      ESP32_PARTS.map((p) => [p.name, p.offset]),
    )
    for (const part of flashImage.parts) {
      expect(
        Buffer.from(emulator.readFlash(part.offset, part.data.length)).equals(
          Buffer.from(part.data),
        ),
      ).toBe(true)
    }
    const progress = events.filter((e) => e.type === 'progress')
    expect(progress.at(-1)).toMatchObject({
      percent: 100,
      overallWritten: progress.at(-1)!.overallTotal,
    })
    expect(events.filter((e) => e.type === 'stage').map((e) => e.stage)).toEqual(
      expect.arrayContaining([
        'connecting',
        'detecting',
        'loading-stub',
        'changing-baud',
        'writing',
        'verifying',
        'resetting',
      ]),
    )
    expect(emulator.commandCount('SPI_FLASH_MD5')).toBe(3)
    expect(port.readable).toBeNull() // closed: the port is released
  })

  it('writes the bootloader exactly as built and resets the board into the new firmware', async () => {
    const { result, emulator, flashImage } = await run({}, {})
    expect(result.ok).toBe(true)
    const bootloader = flashImage.parts[0]!
    expect(
      Buffer.from(emulator.readFlash(0x1000, bootloader.data.length)).equals(
        Buffer.from(bootloader.data),
      ),
    ).toBe(true)
    expect(emulator.state).toBe('app')
  })

  it('refuses a chip that does not match the selected board, naming both, before writing anything', async () => {
    const { result, emulator } = await run({ chip: 'ESP32-C3' }, {})
    expect(result).toMatchObject({ ok: false, code: 'chip_mismatch' })
    expect(!result.ok && result.message).toMatch(
      /has an ESP32-C3, but ESP32-DevKitC \(ESP32\) is selected/,
    )
    expect(emulator.commandCount('FLASH_DEFL_BEGIN')).toBe(0)
  })

  it('refuses an image that does not fit the detected flash before erasing', async () => {
    const big = image([{ name: 'app', offset: 0x10000, size: 300_000 }])
    const { result, emulator } = await run({ flashSize: 256 * 1024 }, { image: big, erase: true })
    expect(result).toMatchObject({ ok: false, code: 'image_too_large' })
    expect(emulator.commandCount('ERASE_FLASH')).toBe(0)
    expect(emulator.commandCount('FLASH_DEFL_BEGIN')).toBe(0)
  })

  it('says what to do when the board is not in download mode', async () => {
    const { result } = await run({ faults: { notInDownloadMode: true } }, {})
    expect(result).toMatchObject({ ok: false, code: 'not_in_bootloader', stage: 'connecting' })
    expect(!result.ok && result.message).toMatch(/hold BOOT, tap EN/i)
  }, 30_000)

  it('says why when the flash size cannot be detected, and flashes without that check', async () => {
    // A JEDEC id whose size byte esptool-js does not know (0xff).
    const { result, events } = await run({ flashJedecId: 0xff40c8 }, {})
    expect(result).toMatchObject({ ok: true, flashSize: 'unknown' })
    expect(warnings(events)).toContainEqual(
      expect.stringMatching(/^The flash size could not be detected \(.+\); the image is not/),
    )
  })

  it('says why when the stub cannot start, and writes through the ROM loader', async () => {
    // The stub's OHAI never comes; the ROM loader goes on answering.
    const { result, events, emulator, flashImage } = await run({ faults: { refuseStub: true } }, {})
    expect(result).toMatchObject({ ok: true, stub: false, baud: 115200 })
    expect(warnings(events)).toContainEqual(
      expect.stringMatching(
        /^The flasher stub could not be started \(.+\); writing through the ROM/,
      ),
    )
    for (const part of flashImage.parts) {
      expect(Buffer.from(emulator.readFlash(part.offset, part.data.length))).toEqual(
        Buffer.from(part.data),
      )
    }
  }, 60_000)

  it('reports a corrupted write as a verification failure naming the part', async () => {
    const { result } = await run({ faults: { corruptFlashOffsets: [0x10000 + 500] } }, {})
    expect(result).toMatchObject({ ok: false, code: 'verify_failed', stage: 'verifying' })
    expect(!result.ok && result.message).toMatch(/app at 0x10000/)
  })

  it('reports an unplugged board within seconds and releases the port', async () => {
    const { result, port } = await run({ faults: { unplugAfterBytesReceived: 60_000 } }, {})
    expect(result).toMatchObject({ ok: false, code: 'device_lost' })
    expect(port.readable).toBeNull()
  })

  it('stops at once when cancelled and says the board holds a partial image', async () => {
    const controller = new AbortController()
    const { result, emulator } = await run({}, {}, controller.signal, (event) => {
      if (event.type === 'progress' && event.partIndex === 2) controller.abort()
    })
    expect(result).toMatchObject({ ok: false, code: 'cancelled', stage: 'writing' })
    expect(!result.ok && result.message).toMatch(/partial image/)
    expect(emulator.commandCount('FLASH_DEFL_END')).toBeLessThan(3)
  })

  it.each([
    ['a CH9102 bridge', '1a86', '55d4', 2000000],
    ['a CP210x bridge', '10c4', 'ea60', 921600],
    ['an unknown bridge', 'abcd', '0001', 921600],
  ])(
    'starts at the rate %s carries when no rate is asked for, and says so',
    async (_name, vid, pid, rate) => {
      const { result, events } = await run(
        {},
        { port: { path: 'emulated', vid, pid }, baud: undefined },
      )
      expect(result).toMatchObject({ ok: true, baud: rate })
      expect(
        events.some(
          (e) => e.type === 'log' && e.message.startsWith(`Flashing at ${rate} baud, the rate`),
        ),
      ).toBe(true)
    },
  )

  it('steps down one rate at a time when the link cannot hold the requested baud, and says so', async () => {
    const { result, events } = await run({ faults: { maxReliableBaud: 230400 } }, { baud: 2000000 })
    // 2000000 → 1500000 → 921600 → 460800 → 230400: each step tried, none skipped to 115200.
    expect(result).toMatchObject({ ok: true, baud: 230400 })
    const steps = warnings(events).filter((m) => /did not hold/.test(m))
    expect(steps).toEqual([
      expect.stringMatching(/did not hold 2000000 baud; .*trying 1500000 baud/),
      expect.stringMatching(/did not hold 1500000 baud; .*trying 921600 baud/),
      expect.stringMatching(/did not hold 921600 baud; .*trying 460800 baud/),
      expect.stringMatching(/did not hold 460800 baud; .*trying 230400 baud/),
    ])
  }, 60_000)

  it('finishes the image a rate lower, in place, when long blocks start failing mid-write', async () => {
    // A marginal link: at 921600 the short commands pass and the 16 KiB blocks arrive spoilt. The
    // stub still answers, so the rate drops without a reset and the part is written again.
    const { result, events, emulator, flashImage } = await run(
      {
        resetCircuit: 'none',
        startInDownloadMode: true,
        faults: { corruptLongFrames: { longerThan: 2048, aboveBaud: 460800 } },
      },
      { before: 'no_reset' },
    )
    expect(result).toMatchObject({ ok: true, baud: 460800 })
    expect(emulator.corruptedFrameCount).toBeGreaterThan(0)
    expect(emulator.stats.stubStarts).toBe(1)
    expect(warnings(events)).toContainEqual(
      expect.stringMatching(
        /^Writing bootloader failed \(.+\) at 921600 baud; continuing at 460800 baud\.$/,
      ),
    )
    for (const part of flashImage.parts) {
      expect(Buffer.from(emulator.readFlash(part.offset, part.data.length))).toEqual(
        Buffer.from(part.data),
      )
    }
    // The restarted part's progress goes back to its start instead of counting twice.
    const overall = events.flatMap((e) => (e.type === 'progress' ? [e.overallWritten] : []))
    expect(Math.max(...overall)).toBe(overall[overall.length - 1])
  }, 60_000)

  it('resets into the ROM loader and goes on a rate lower when the link dies mid-write', async () => {
    // The cable degrades after ~40 KB: nothing at 921600 gets through any more, the stub is deaf.
    const { result, events, emulator, flashImage } = await run(
      { faults: { degradeLink: { afterBytesReceived: 40_000, maxReliableBaud: 460800 } } },
      {},
    )
    expect(result).toMatchObject({ ok: true, baud: 460800 })
    expect(emulator.stats.stubStarts).toBe(2)
    expect(warnings(events)).toContainEqual(
      expect.stringMatching(
        /^Writing \w+ failed \(.+\) at 921600 baud and the board stopped answering; resetting it and continuing at 460800 baud or below\.$/,
      ),
    )
    for (const part of flashImage.parts) {
      expect(Buffer.from(emulator.readFlash(part.offset, part.data.length))).toEqual(
        Buffer.from(part.data),
      )
    }
  }, 60_000)

  it('cannot reset a board it was told not to touch: a dead link ends the job with what to do', async () => {
    const { result } = await run(
      {
        resetCircuit: 'none',
        startInDownloadMode: true,
        faults: { degradeLink: { afterBytesReceived: 40_000, maxReliableBaud: 460800 } },
      },
      { before: 'no_reset' },
    )
    expect(result).toMatchObject({ ok: false, code: 'link_failed' })
    expect(!result.ok && result.message).toMatch(/no_reset.*download mode by hand.*lower baud/)
  }, 60_000)

  it('runs one job per port at a time', async () => {
    const emulator = new RomLoaderEmulator({
      chip: 'ESP32',
      pacing: false,
      resetCircuit: 'classic',
    })
    const port = new InProcessSerialPort(emulator)
    const deps: FlashDependencies = { openPort: () => port as never, now: () => performance.now() }
    const request: FlashRequest = {
      port: { path: 'same' },
      board: null,
      loadImage: async () => image(ESP32_PARTS),
    }
    const first = flashBoard(request, () => undefined, undefined, deps)
    const second = await flashBoard(request, () => undefined, undefined, deps)
    expect(second).toMatchObject({ ok: false, code: 'port_busy' })
    expect(await first).toMatchObject({ ok: true })
  })
})
