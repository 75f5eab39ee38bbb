import { open, readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { ControlSignals, PortOpener } from '../../main/serial/monitor-port'
import type { ListedPort } from '../../main/serial/port-identity'
import {
  openSerialMonitor,
  type MonitorUpdate,
  type SerialMonitorOptions,
} from '../../main/monitor/serial-monitor'
import { tempDir } from '../helpers/fixtures'
import { startPtyPair } from '../../devkit/pty'
import { until } from '../helpers/wait'
import { portHolder } from '../../main/leases/port-lease'

/** Cleanups, run newest first after each test. */
const running: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of running.splice(0).reverse()) await cleanup()
})

async function pair(dir?: string, names?: [string, string]) {
  const p = await startPtyPair(dir ?? (await tempDir()), names)
  running.push(p.stop)
  return p
}

async function monitorOn(path: string, options: Partial<SerialMonitorOptions> = {}) {
  const monitor = await openSerialMonitor({ path, batchIntervalMs: 50, ...options })
  running.push(() => monitor.close())
  const updates: MonitorUpdate[] = []
  monitor.subscribe((u) => updates.push(u))
  const lines = () => updates.flatMap((u) => (u.kind === 'lines' ? u.lines.map((l) => l.text) : []))
  return { monitor, updates, lines }
}

/** The far end of a pty pair, written like a board's UART. */
async function writer(path: string) {
  const handle = await open(path, 'w')
  running.push(() => handle.close())
  return (data: string | Uint8Array) =>
    typeof data === 'string' ? handle.write(data) : handle.write(data)
}

describe('openSerialMonitor on a real pty', () => {
  it('shows what the board prints, line by line, with receive times, for LF and CRLF (a lone CR stays in its line)', async () => {
    const { a, b } = await pair()
    const before = Date.now()
    const { lines, updates } = await monitorOn(a)
    const write = await writer(b)

    await write('ets Jun  8 2016\r\nI (31) boot: ok\nprogress 50%\rprogress 100%\r')
    await write('\n\x1b[0;32mgreen\x1b[0m\r\n')

    await until(() => lines().length >= 4)
    expect(lines()).toEqual([
      'ets Jun  8 2016',
      'I (31) boot: ok',
      'progress 50%\rprogress 100%',
      '\x1b[0;32mgreen\x1b[0m',
    ])
    const first = updates.find((u) => u.kind === 'lines')
    expect(first?.kind === 'lines' && first.lines[0]!.at).toBeGreaterThanOrEqual(before)
  })

  it('decodes a UTF-8 character whose bytes arrive in separate reads', async () => {
    const { a, b } = await pair()
    const { monitor, lines } = await monitorOn(a)
    const write = await writer(b)
    const text = new TextEncoder().encode('teplota 21 °C 🌡\n')
    const split = text.indexOf(0xf0) + 2 // inside the 4-byte thermometer
    await write(text.subarray(0, split))
    // The first half is read on its own before the rest is even written.
    await until(() => monitor.stats().bytes === split)
    await write(text.subarray(split))
    await until(() => lines().length === 1)
    expect(lines()).toEqual(['teplota 21 °C 🌡'])
  })

  it('delivers a burst of 5000 lines in a few batched updates, every line once and in order', async () => {
    const { a, b } = await pair()
    const monitor = await openSerialMonitor({ path: a, batchIntervalMs: 250 })
    running.push(() => monitor.close())
    const batches: number[][] = []
    monitor.subscribe((u) => {
      if (u.kind === 'lines') batches.push(u.lines.map((l) => l.seq))
    })
    const write = await writer(b)
    let text = ''
    for (let i = 1; i <= 5000; i++) text += `line ${i} ${'x'.repeat(40)}\r\n`
    await write(text)
    await until(() => batches.flat().length === 5000)
    expect(batches.length).toBeLessThanOrEqual(4)
    expect(batches.flat()).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1))
  })

  it('keeps memory bounded: only the newest lines stay in the ring, and a display listener gets at most its share', async () => {
    const { a, b } = await pair()
    const monitor = await openSerialMonitor({ path: a, ringLines: 100, batchIntervalMs: 50 })
    running.push(() => monitor.close())
    const shown: { count: number; skipped: number }[] = []
    monitor.subscribe(
      (u) => {
        if (u.kind === 'lines') shown.push({ count: u.lines.length, skipped: u.skipped })
      },
      { maxLinesPerUpdate: 200 },
    )
    const write = await writer(b)
    // In pieces a pty takes without stalling the writer: a single 17 KB write into a pty can sit in
    // the kernel for long on a loaded machine.
    for (let from = 0; from < 3000; from += 250) {
      await write(Array.from({ length: 250 }, (_, i) => `n${from + i + 1}\n`).join(''))
    }
    await until(() => monitor.stats().lines === 3000)
    await until(() => shown.reduce((s, u) => s + u.count + u.skipped, 0) === 3000)
    expect(monitor.recentLines().map((l) => l.text)).toEqual(
      Array.from({ length: 100 }, (_, i) => `n${i + 2901}`),
    )
    expect(Math.max(...shown.map((u) => u.count))).toBeLessThanOrEqual(200)
  })

  it('pauses the display without losing lines, resumes with what arrived meanwhile, and clears', async () => {
    const { a, b } = await pair()
    const { monitor, updates, lines } = await monitorOn(a)
    const write = await writer(b)
    await write('before\n')
    await until(() => lines().length === 1)
    monitor.pause()
    await write('during 1\nduring 2\n')
    await until(() => monitor.stats().lines === 3)
    await new Promise((r) => setTimeout(r, 120))
    expect(lines()).toEqual(['before'])
    monitor.resume()
    expect(lines()).toEqual(['before', 'during 1', 'during 2'])
    monitor.clear()
    expect(updates.at(-1)).toEqual({ kind: 'cleared' })
    expect(monitor.recentLines()).toEqual([])
  })

  it('saves the recent lines to a file, with timestamps, leaving no temp file behind', async () => {
    const { a, b } = await pair()
    const { monitor } = await monitorOn(a)
    const write = await writer(b)
    await write('rst:0x1 (POWERON_RESET)\r\nFFBOOT v=1 uid=pump-0001\r\n')
    await until(() => monitor.stats().lines === 2)
    const dir = await tempDir()
    const saved = await monitor.saveLog(join(dir, 'console.log'))
    expect(saved.lines).toBe(2)
    const text = await readFile(join(dir, 'console.log'), 'utf8')
    expect(text).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}rst:0x1 \(POWERON_RESET\)\n\d{4}-\d\d-\d\dT[\d:.]+Z {2}FFBOOT v=1 uid=pump-0001\n$/,
    )
    expect(await readdir(dir)).toEqual(['console.log'])
    await expect(monitor.saveLog(join(dir, 'missing-folder', 'x.log'))).rejects.toMatchObject({
      code: 'io_error',
    })
  })

  it('reports an unplugged board as device_lost and releases the port', async () => {
    const dir = await tempDir()
    const first = await pair(dir)
    const { monitor, updates } = await monitorOn(first.a)
    await first.stop()

    const end = await monitor.ended
    expect(end.reason).toBe('lost')
    expect(end.error?.code).toBe('device_lost')
    expect(end.error?.message).toMatch(/unplugged.*Re-plug it and retry/)
    expect(updates).toContainEqual(expect.objectContaining({ kind: 'error', code: 'device_lost' }))
    expect(monitor.state).toBe('closed')

    // Retry works: the same path, served again, opens at once.
    const again = await pair(dir)
    const retry = await monitorOn(again.a)
    const write = await writer(again.b)
    await write('back\n')
    await until(() => retry.lines().includes('back'))
  })

  it('finds a native-USB board again under a new path after it re-enumerates', async () => {
    const dir = await tempDir()
    const usb = { vid: '303a', pid: '1001', serialNumber: 'F4:12:FA:00:11:22' }
    const first = await pair(dir, ['ttyACM0', 'boardA'])
    let ports: ListedPort[] = [{ path: first.a, ...usb }]
    const { monitor, updates, lines } = await monitorOn(first.a, {
      reconnect: { list: async () => ports, intervalMs: 50, timeoutMs: 5000 },
    })

    ports = []
    await first.stop()
    await until(() => monitor.state === 'reconnecting')
    const second = await pair(dir, ['ttyACM1', 'boardB'])
    ports = [
      { path: join(dir, 'ttyS9'), vid: '303a', pid: '1001', serialNumber: 'someone-else' },
      { path: second.a, ...usb },
    ]
    await until(() => monitor.state === 'open' && monitor.path === second.a)
    // The console's hold on the port moved with the board: the new name is taken, the old free.
    expect(portHolder(second.a)).toBe('the serial console')
    expect(portHolder(first.a)).toBeNull()
    const write = await writer(second.b)
    await write('rebooted\r\n')
    await until(() => lines().includes('rebooted'))
    const states = updates.filter((u) => u.kind === 'state')
    expect(states).toEqual([
      { kind: 'state', state: 'reconnecting', path: first.a },
      { kind: 'state', state: 'open', path: second.a },
    ])
  })

  it('gives up with device_lost when the board does not come back in time', async () => {
    const first = await pair()
    const ports: ListedPort[] = [{ path: first.a, vid: '303a', pid: '1001', serialNumber: 'X1' }]
    const { monitor } = await monitorOn(first.a, {
      reconnect: { list: async () => ports, intervalMs: 50, timeoutMs: 400 },
    })
    ports.length = 0
    await first.stop()
    const end = await monitor.ended
    expect(end).toMatchObject({ reason: 'lost', error: { code: 'device_lost' } })
  })

  it('names a missing port, a busy port and a bad baud rate with their codes', async () => {
    const { a } = await pair()
    await expect(openSerialMonitor({ path: join(a, '..', 'nothing') })).rejects.toMatchObject({
      code: 'port_not_found',
    })
    await monitorOn(a)
    await expect(openSerialMonitor({ path: a })).rejects.toMatchObject({ code: 'port_busy' })
    await expect(openSerialMonitor({ path: a, baudRate: 12.5 })).rejects.toMatchObject({
      code: 'invalid_input',
      field: 'baud',
    })
  })

  it('says so when the port cannot switch DTR/RTS (a pty), and keeps the console running', async () => {
    const { a, b } = await pair()
    const { monitor, lines } = await monitorOn(a)
    await expect(monitor.resetBoard()).rejects.toMatchObject({
      code: 'io_error',
      message: expect.stringMatching(/cannot switch the DTR\/RTS lines.*EN\/RST button/),
    })
    const write = await writer(b)
    await write('still here\n')
    await until(() => lines().includes('still here'))
  })
})

describe('openSerialMonitor control lines', () => {
  function fakePort() {
    const sent: ControlSignals[] = []
    const opener: PortOpener = async () => ({
      setSignals: async (s) => {
        sent.push({ ...s })
      },
      write: async () => undefined,
      close: async () => undefined,
    })
    return { sent, opener }
  }

  it('sends DTR and RTS together, keeping the line not named at its last value', async () => {
    const { sent, opener } = fakePort()
    const monitor = await openSerialMonitor({
      path: '/dev/fake',
      openPort: opener,
      presenceIntervalMs: 0,
    })
    await monitor.setSignals({ dtr: false })
    await monitor.setSignals({ rts: false })
    await monitor.setSignals({ dtr: true })
    expect(sent).toEqual([
      { dtr: false, rts: true },
      { dtr: false, rts: false },
      { dtr: true, rts: false },
    ])
    await monitor.close()
  })

  it('resets the board through EN with IO0 released, so it boots the firmware, and announces the reset', async () => {
    const { sent, opener } = fakePort()
    const monitor = await openSerialMonitor({
      path: '/dev/fake',
      openPort: opener,
      presenceIntervalMs: 0,
    })
    const updates: MonitorUpdate[] = []
    monitor.subscribe((u) => updates.push(u))
    const started = Date.now()
    await monitor.resetBoard()
    expect(Date.now() - started).toBeGreaterThanOrEqual(90)
    expect(sent).toEqual([
      { dtr: false, rts: true },
      { dtr: false, rts: false },
    ])
    expect(updates).toEqual([{ kind: 'reset' }])
    await monitor.close()
    await monitor.close() // twice is harmless
    expect(await monitor.ended).toEqual({ reason: 'closed', error: null })
  })
})
