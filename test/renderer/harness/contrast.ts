// WCAG 2.x contrast of computed CSS colours, as Chromium reports them from getComputedStyle.

/** An sRGB colour, channels 0–255, alpha 0–1. */
export interface Rgba {
  r: number
  g: number
  b: number
  a: number
}

/** Parses a computed colour: `rgb(r, g, b)`, `rgba(r, g, b, a)` or `color(srgb r g b / a)`. */
export function parseCssColor(text: string): Rgba {
  const rgb = /^rgba?\(([^)]+)\)$/.exec(text.trim())
  if (rgb) {
    const [r, g, b, a = 1] = rgb[1]!.split(/[\s,/]+/).map(Number)
    return { r: r!, g: g!, b: b!, a }
  }
  const srgb = /^color\(srgb ([^)]+)\)$/.exec(text.trim())
  if (srgb) {
    const [r, g, b, a = 1] = srgb[1]!.split(/[\s/]+/).map(Number)
    return { r: r! * 255, g: g! * 255, b: b! * 255, a }
  }
  throw new Error(`unexpected computed colour ${JSON.stringify(text)}`)
}

/** `top` painted over the opaque `bottom`. */
export function composite(top: Rgba, bottom: Rgba): Rgba {
  const mix = (t: number, b: number): number => t * top.a + b * (1 - top.a)
  return { r: mix(top.r, bottom.r), g: mix(top.g, bottom.g), b: mix(top.b, bottom.b), a: 1 }
}

/**
 * The colour seen behind an element: its ancestors' background colours, nearest first, painted
 * over one another on top of the canvas (white when none is opaque).
 */
export function effectiveBackground(layersNearestFirst: string[]): Rgba {
  let seen: Rgba = { r: 255, g: 255, b: 255, a: 1 }
  for (const layer of [...layersNearestFirst].reverse()) {
    seen = composite(parseCssColor(layer), seen)
  }
  return seen
}

function relativeLuminance({ r, g, b }: Rgba): number {
  const linear = (channel: number): number => {
    const c = channel / 255
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  }
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

/** The WCAG contrast ratio of two opaque colours, from 1 to 21. */
export function contrastRatio(a: Rgba, b: Rgba): number {
  const [light, dark] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x)
  return (light! + 0.05) / (dark! + 0.05)
}
