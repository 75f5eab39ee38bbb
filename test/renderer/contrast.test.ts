import { describe, expect, it } from 'vitest'
import { composite, contrastRatio, effectiveBackground, parseCssColor } from './harness/contrast'

// The arithmetic behind the control-border check, against figures WCAG's own examples and the
// audit of issue 14 give.

const ratio = (a: string, b: string): number =>
  Number(contrastRatio(parseCssColor(a), parseCssColor(b)).toFixed(2))

describe('contrastRatio', () => {
  it.each([
    ['rgb(0, 0, 0)', 'rgb(255, 255, 255)', 21],
    ['rgb(255, 255, 255)', 'rgb(255, 255, 255)', 1],
    // The old control border on white and on the dark surface: what the audit measured.
    ['rgb(200, 209, 218)', 'rgb(255, 255, 255)', 1.55],
    ['rgb(61, 68, 77)', 'rgb(22, 27, 34)', 1.76],
    // The new ones.
    ['rgb(110, 119, 129)', 'rgb(255, 255, 255)', 4.55],
    ['rgb(125, 133, 144)', 'rgb(22, 27, 34)', 4.64],
  ])('%s against %s is %s:1', (a, b, expected) => {
    expect(ratio(a, b)).toBe(expected)
    expect(ratio(b, a)).toBe(expected)
  })
})

describe('parseCssColor', () => {
  it('reads the forms Chromium computes', () => {
    expect(parseCssColor('rgb(1, 2, 3)')).toEqual({ r: 1, g: 2, b: 3, a: 1 })
    expect(parseCssColor('rgba(1, 2, 3, 0.5)')).toEqual({ r: 1, g: 2, b: 3, a: 0.5 })
    expect(parseCssColor('rgba(0, 0, 0, 0)').a).toBe(0)
    expect(parseCssColor('color(srgb 1 0 0.5 / 0.25)')).toEqual({ r: 255, g: 0, b: 127.5, a: 0.25 })
  })

  it('refuses what it cannot read instead of guessing', () => {
    expect(() => parseCssColor('oklch(0.5 0.1 200)')).toThrow(/unexpected computed colour/)
  })
})

describe('effectiveBackground', () => {
  it('is the nearest opaque background, seen through transparent ones', () => {
    expect(
      effectiveBackground(['rgba(0, 0, 0, 0)', 'rgb(246, 248, 250)', 'rgb(255, 255, 255)']),
    ).toEqual({ r: 246, g: 248, b: 250, a: 1 })
  })

  it('paints translucent layers over the ones behind, and white when nothing is painted', () => {
    expect(effectiveBackground(['rgba(0, 0, 0, 0.5)', 'rgb(255, 255, 255)'])).toEqual({
      r: 127.5,
      g: 127.5,
      b: 127.5,
      a: 1,
    })
    expect(effectiveBackground(['rgba(0, 0, 0, 0)'])).toEqual({ r: 255, g: 255, b: 255, a: 1 })
  })

  it('composite leaves an opaque colour as it is', () => {
    const red = { r: 255, g: 0, b: 0, a: 1 }
    expect(composite(red, { r: 0, g: 0, b: 255, a: 1 })).toEqual(red)
  })
})
