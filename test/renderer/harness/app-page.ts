// Runs the real renderer in real Chromium with `window.fieldflash` bridged to the real main-process
// handlers (main/ipc/handlers.ts) in this Node process: the page calls an exposed binding per
// operation, and events flow back through page.evaluate, the way the preload and
// webContents.send carry them in the app.

import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { extname, join, normalize, sep } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { build } from 'vite'
import electronViteConfig from '../../../electron.vite.config'
import { OPERATIONS, type ApiEvents, type EventName } from '../../../main/ipc/api-contract'
import type { MainApi } from '../../../main/ipc/handlers'

export const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_HINT = 'apt-get install chromium'
/** The app's origin inside the test browser; every request elsewhere is refused and recorded. */
export const APP_ORIGIN = 'https://fieldflash.test'
export const SCREENS_DIR = join(import.meta.dirname, '..', '..', '..', 'test-results', 'screens')

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
]

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
}

/** Builds the renderer with electron-vite's own renderer config into a temp folder. */
export async function buildRenderer(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'fieldflash-renderer-'))
  const renderer = (electronViteConfig as { renderer: Record<string, unknown> }).renderer
  await build({
    ...renderer,
    configFile: false,
    base: './',
    logLevel: 'error',
    build: {
      ...(renderer.build as object),
      outDir,
      emptyOutDir: true,
      reportCompressedSize: false,
    },
  })
  return outDir
}

export interface TestBrowser {
  context: BrowserContext
  /** Requests the app made to any origin but its own (must stay empty). */
  foreignRequests: string[]
  close(): Promise<void>
}

/** Where each test browser's screenshots go (a folder per test file, as files run side by side). */
const screensDirs = new WeakMap<BrowserContext, string>()

/**
 * Starts Debian's Chromium through playwright-core with a fresh profile; fails with the install
 * hint. Its screenshots go to `screensDir`, emptied first.
 */
export async function launchBrowser(screensDir = SCREENS_DIR): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}; install it with \`${CHROMIUM_HINT}\``,
    )
  }
  const profile = await mkdtemp(join(tmpdir(), 'fieldflash-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 800 },
    colorScheme: 'light',
    reducedMotion: 'reduce',
    serviceWorkers: 'block',
  })
  // Each run's screens replace the last run's.
  await rm(screensDir, { recursive: true, force: true })
  await mkdir(screensDir, { recursive: true })
  screensDirs.set(context, screensDir)
  return {
    context,
    foreignRequests: [],
    async close() {
      await context.close()
      await rm(profile, { recursive: true, force: true })
    },
  }
}

/** Serves the built renderer at APP_ORIGIN and refuses (and records) everything else. */
async function serveRenderer(page: Page, rootDir: string, browser: TestBrowser): Promise<void> {
  await page.route('**/*', async (route) => {
    const url = new URL(route.request().url())
    if (url.origin !== APP_ORIGIN) {
      browser.foreignRequests.push(url.href)
      return route.abort('blockedbyclient')
    }
    const file = normalize(
      join(rootDir, decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)),
    )
    if (!file.startsWith(rootDir + sep) || !existsSync(file))
      return route.fulfill({ status: 404, body: 'not found' })
    return route.fulfill({
      status: 200,
      headers: { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' },
      body: await readFile(file),
    })
  })
}

/**
 * Opens the app in a new page with the bridge installed. `api` is created by the caller with an
 * event sink that forwards to `deliver` below.
 */
export async function openApp(
  browser: TestBrowser,
  rendererDir: string,
  api: () => MainApi,
): Promise<{
  page: Page
  deliver: <E extends EventName>(name: E, payload: ApiEvents[E]) => void
  /** Uncaught errors and console errors of the page (must stay empty). */
  pageErrors: string[]
}> {
  const page = await browser.context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text())
  })
  await serveRenderer(page, rendererDir, browser)
  await page.exposeBinding(
    '__fieldflashInvoke',
    async (_source, operation: string, ...rest: unknown[]) => {
      if (!(OPERATIONS as readonly string[]).includes(operation)) {
        return { ok: false, code: 'internal', message: `unknown operation ${operation}` }
      }
      const handler = api().handlers[operation as (typeof OPERATIONS)[number]]
      return handler(rest.length === 0 ? undefined : rest[0])
    },
  )
  // What preload/index.ts builds, in the page: one function per operation, one per subscription.
  await page.addInitScript((operations: readonly string[]) => {
    type Listener = (payload: unknown) => void
    const listeners: Record<string, Set<Listener>> = {
      flash: new Set(),
      monitor: new Set(),
      station: new Set(),
    }
    const invoke = (
      globalThis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
    ).__fieldflashInvoke!
    const api: Record<string, unknown> = {}
    for (const operation of operations) {
      api[operation] = (request?: unknown) =>
        request === undefined ? invoke(operation) : invoke(operation, request)
    }
    const subscribe = (name: string) => (listener: Listener) => {
      listeners[name]!.add(listener)
      return () => listeners[name]!.delete(listener)
    }
    api.onFlashEvent = subscribe('flash')
    api.onMonitorEvent = subscribe('monitor')
    api.onStationEvent = subscribe('station')
    Object.defineProperty(globalThis, 'fieldflash', { value: Object.freeze(api) })
    Object.defineProperty(globalThis, '__fieldflashDeliver', {
      value: (name: string, payload: unknown) => listeners[name]?.forEach((l) => l(payload)),
    })
  }, OPERATIONS)
  const deliver = <E extends EventName>(name: E, payload: ApiEvents[E]): void => {
    if (page.isClosed()) return
    page
      .evaluate(
        ([n, p]) =>
          (
            globalThis as unknown as { __fieldflashDeliver: (n: string, p: unknown) => void }
          ).__fieldflashDeliver(n, p),
        [name, payload] as const,
      )
      .catch(() => undefined)
  }
  return { page, deliver, pageErrors }
}

const require = createRequire(import.meta.url)
let axeSource: string | null = null

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  targets: string[]
}

/** Runs axe-core on the page (WCAG 2.1 A/AA and best practices) and returns serious and critical violations. */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8')
  // Evaluated through the DevTools protocol, so the app's strict CSP stays in force.
  await page.evaluate(axeSource)
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run: (
            c: unknown,
            o: unknown,
          ) => Promise<{
            violations: {
              id: string
              impact: string | null
              help: string
              nodes: { target: string[] }[]
            }[]
          }>
        }
      }
    ).axe
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, {
      runOnly: {
        type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
      },
    })
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }))
  })
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
}

/** Saves a screenshot to <its browser's screens folder>/<name>.png (test-results/screens). */
export async function screenshot(page: Page, name: string): Promise<void> {
  // From the top, so the sticky header stays where it belongs in the stitched full-page image.
  await page.evaluate(() =>
    (globalThis as unknown as { scrollTo: (x: number, y: number) => void }).scrollTo(0, 0),
  )
  await page.screenshot({
    path: join(screensDirs.get(page.context()) ?? SCREENS_DIR, `${name}.png`),
    fullPage: true,
    animations: 'disabled',
  })
}
