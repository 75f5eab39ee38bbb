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
    expect(elapsed).toBeGreaterThanOrEqual(195)
    expect(elapsed).toBeLessThan(600)
  })

  it('delivers at once when pacing is off', async () => {
    const received: number[] = []
    const line = new PacedLine((bytes) => received.push(...bytes))
    const start = performance.now()
    await line.send(new Uint8Array(100_000), 9600, false)
    expect(performance.now() - start).toBeLessThan(100)
    expect(received).toHaveLength(100_000)
  })

  it('drops undelivered bytes when cleared and still settles the pending send', async () => {
    const received: number[] = []
    const line = new PacedLine((bytes) => received.push(...bytes))
    const sending = line.send(new Uint8Array(11520), 115200, true) // 1 s of data
    await new Promise((resolve) => setTimeout(resolve, 50))
    line.clear()
    await sending
    expect(received.length).toBeGreaterThan(0)
    expect(received.length).toBeLessThan(2000)
  })
})

describe('LineNoise', () => {
  it('keeps the length but never produces a SLIP delimiter', () => {
    const noisy = new LineNoise().corrupt(new Uint8Array(4096).fill(0xc0))
    expect(noisy).toHaveLength(4096)
    expect(noisy.includes(0xc0)).toBe(false)
  })
})
