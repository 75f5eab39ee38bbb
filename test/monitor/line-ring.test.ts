import { describe, expect, it } from 'vitest'
import { LineRing } from '../../main/monitor/line-ring'

const line = (seq: number, text = `line ${seq}`) => ({ seq, at: 0, text })

describe('LineRing', () => {
  it('keeps the newest lines, oldest first, when more arrive than it holds', () => {
    const ring = new LineRing(3, 1000)
    for (let i = 1; i <= 5; i++) ring.push(line(i))
    expect(ring.toArray().map((l) => l.seq)).toEqual([3, 4, 5])
  })

  it('also stays under its character budget, dropping the oldest lines', () => {
    const ring = new LineRing(100, 25)
    for (let i = 1; i <= 5; i++) ring.push(line(i, 'x'.repeat(10)))
    expect(ring.toArray().map((l) => l.seq)).toEqual([4, 5])
    expect(ring.totalChars).toBe(20)
  })

  it('empties on clear', () => {
    const ring = new LineRing(3, 1000)
    ring.push(line(1))
    ring.clear()
    expect(ring.toArray()).toEqual([])
    ring.push(line(2))
    expect(ring.toArray().map((l) => l.seq)).toEqual([2])
  })
})
