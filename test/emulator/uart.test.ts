import { describe, expect, it } from 'vitest'
import { LineNoise, PacedLine } from '../../devkit/emulator/uart'

describe('PacedLine', () => {
  it('takes bytes × 10 / baud seconds to carry data, in order', async () => {
    const received: number[] = []
    const line = new PacedLine((bytes) => received.push(...bytes))
    const payload = Uint8Array.from({ length: 2304 }, (_, i) => i & 0xff) // 200 ms at 115200
    const start = performance.now()
    await line.send(payload, 115200, true)
    const elapsed = performance.now() - start
    expect(received).toEqual([...payload])
    // Never faster than the wire (a loaded machine may only make it slower).
    expect(elapsed).toBeGreaterThanOrEqual(195)
  })

  it('delivers at once when pacing is off: no time has to pass on its clock', async () => {
    const received: number[] = []
    // A clock that never moves: paced bytes would never be due, unpaced ones are.
    const line = new PacedLine(
      (bytes) => received.push(...bytes),
      () => 0,
    )
    await line.send(new Uint8Array(100_000), 9600, false)
    expect(received).toHaveLength(100_000)
  })

  it('drops undelivered bytes when cleared and still settles the pending send', async () => {
    const received: number[] = []
    const line = new PacedLine((bytes) => received.push(...bytes))
    const sending = line.send(new Uint8Array(11520), 1200, true) // 96 s of data
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
    line.clear()
    await sending
    expect(line.pendingBytes).toBe(0)
    expect(received.length).toBeLessThan(11520)
  })
})

describe('LineNoise', () => {
  it('keeps the length but never produces a SLIP delimiter', () => {
    const noisy = new LineNoise().corrupt(new Uint8Array(4096).fill(0xc0))
    expect(noisy).toHaveLength(4096)
    expect(noisy.includes(0xc0)).toBe(false)
  })
})
