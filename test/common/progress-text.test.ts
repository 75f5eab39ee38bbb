import { describe, expect, it } from 'vitest'
import { describeProgress, formatRate, formatTimeLeft } from '../../common/progress-text'

describe('formatTimeLeft', () => {
  it.each([
    [null, 'estimating…'],
    [Number.NaN, 'estimating…'],
    [Number.POSITIVE_INFINITY, 'estimating…'],
    [-3, 'estimating…'],
    [0, 'less than a second'],
    [0.4, 'less than a second'],
    [1, '1 s'],
    [1.2, '2 s'],
    [42, '42 s'],
    [59.5, '1 min'],
    [60, '1 min'],
    [61, '1 min 1 s'],
    [119.9, '2 min'],
    [185, '3 min 5 s'],
    [3599.5, '1 h'],
    [3660, '1 h 1 min'],
    [7322, '2 h 3 min'],
  ])('%s seconds → %j', (seconds, text) => {
    expect(formatTimeLeft(seconds)).toBe(text)
  })

  it('never says 60 s or 60 min', () => {
    for (let s = 0; s < 10_000; s += 0.37) expect(formatTimeLeft(s)).not.toMatch(/\b60 (s|min)\b/)
  })
})

describe('formatRate', () => {
  it.each([
    [0, '—'],
    [Number.NaN, '—'],
    [512, '0.5 KB/s'],
    [88_000, '85.9 KB/s'],
    [1024 * 1024 * 1.25, '1.25 MB/s'],
  ])('%s B/s → %j', (rate, text) => {
    expect(formatRate(rate)).toBe(text)
  })
})

describe('describeProgress', () => {
  it('says part, share, speed and time left on one line', () => {
    expect(
      describeProgress({
        part: 'app',
        partIndex: 1,
        partCount: 3,
        percent: 47.9,
        bytesPerSecond: 88_000,
        secondsLeft: 12.2,
      }),
    ).toBe('app (2/3) 47% · 85.9 KB/s · 13 s left')
    expect(
      describeProgress({
        part: 'ffcfg',
        partIndex: 0,
        partCount: 1,
        percent: 0,
        bytesPerSecond: 0,
        secondsLeft: null,
      }),
    ).toBe('ffcfg (1/1) 0% · —')
  })
})
