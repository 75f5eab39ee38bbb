// What a keyboard or low-vision user meets, read from the page: where the focus goes, what live
// regions say, what sticks out at 320 px, how control borders contrast. The in-page half is
// page-probes.js.

import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'

let probesSource: string | null = null

/** Calls `globalThis.__probes.<call>` in the page, installing the probes first. */
async function probe<T>(page: Page, call: string): Promise<T> {
  probesSource ??= await readFile(join(import.meta.dirname, 'page-probes.js'), 'utf8')
  await page.evaluate(probesSource)
  return (await page.evaluate(`globalThis.__probes.${call}`)) as T
}

/** The focused element, named the way failure messages show it. */
export function describeFocus(page: Page): Promise<string> {
  return probe(page, 'describeFocus()')
}

/**
 * Watches the focus from now until `stop`, which returns every moment it fell to the page body
 * (checked every frame and after every focusout).
 */
export async function watchFocus(page: Page): Promise<{ stop: () => Promise<string[]> }> {
  await probe(page, 'startFocusWatch()')
  return { stop: () => probe<string[]>(page, 'stopFocusWatch()') }
}

export interface LiveAnnouncement {
  /** The region's whole text after the change (what a screen reader reads out). */
  text: string
  /** Whether an aria-busy ancestor held the change back from screen readers. */
  busy: boolean
}

/** Records every change of a live region's text from now until `stop`. */
export async function recordLiveRegions(
  page: Page,
): Promise<{ stop: () => Promise<LiveAnnouncement[]> }> {
  await probe(page, 'startLiveRecorder()')
  return { stop: () => probe<LiveAnnouncement[]>(page, 'stopLiveRecorder()') }
}

/** Waits until `locator` has the focus; fails naming where the focus is instead. */
export async function waitForFocusOn(
  page: Page,
  locator: Locator,
  what: string,
  timeout = 5_000,
): Promise<void> {
  const target = await locator.elementHandle({ timeout })
  try {
    await page.waitForFunction(
      (el) =>
        el ===
        (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement,
      target,
      { timeout },
    )
  } catch {
    const history = await probe<string[]>(page, 'focusHistory()')
    throw new Error(
      `focus should be on ${what}, but is on ${await describeFocus(page)}; focus went to:\n  ${history.join('\n  ')}`,
    )
  }
}

/** Waits until the focused element's text (what a screen reader starts with) begins with `text`. */
export async function waitForFocusReading(
  page: Page,
  text: string,
  timeout = 5_000,
): Promise<void> {
  try {
    await page.waitForFunction(
      (start) =>
        (
          (globalThis as unknown as { document: { activeElement: { textContent: string } | null } })
            .document.activeElement?.textContent ?? ''
        )
          .trim()
          .startsWith(start),
      text,
      { timeout },
    )
  } catch {
    throw new Error(
      `focus should be on what reads "${text}…", but is on ${await describeFocus(page)}`,
    )
  }
}

export interface FocusedPlacement {
  name: string
  top: number
  bottom: number
  viewportHeight: number
  /** Whether the focused element itself is what shows at its top corners (nothing covers it). */
  topLeftShows: boolean
  topRightShows: boolean
}

export function focusedPlacement(page: Page): Promise<FocusedPlacement> {
  return probe(page, 'focusedPlacement()')
}

export interface HorizontalOverflow {
  viewport: number
  pageWidth: number
  /** Elements reaching past the viewport's sides, outside any element that scrolls sideways. */
  outside: string[]
}

export function horizontalOverflow(page: Page): Promise<HorizontalOverflow> {
  return probe(page, 'horizontalOverflow()')
}

export interface ControlBorders {
  kind: 'input' | 'select' | 'button'
  name: string
  /** Computed colours of the drawn border sides. */
  borders: string[]
  /** Computed background colours of the ancestors, nearest first. */
  backgrounds: string[]
}

export function controlBorders(page: Page): Promise<ControlBorders[]> {
  return probe(page, 'controlBorders()')
}
