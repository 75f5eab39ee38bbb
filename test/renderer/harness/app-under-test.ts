// The app under test, shared by the renderer's test files: the renderer in real Chromium, its
// `window.fieldflash` bridged to the real main-process handlers with a temp data folder, the real
// board catalog, and a bench board behind a pty.

import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import type { BoardCatalog } from '../../../main/boards/catalog'
import { addDevice } from '../../../main/devices/devices'
import { createApi, type MainApi } from '../../../main/ipc/handlers'
import { listPorts } from '../../../main/serial/list-ports'
import { saveSiteProfile } from '../../../main/site/site-profile'
import { FieldFlashStore } from '../../../main/store/store'
import { downloadTemplate } from '../../../main/template/download-template'
import { loadCatalog, SAMPLE_SITE, tempDir } from '../../helpers/fixtures'
import {
  APP_ORIGIN,
  buildRenderer,
  launchBrowser,
  openApp,
  screenshot,
  seriousA11yViolations,
  type TestBrowser,
} from './app-page'
import { BenchBoard, benchAccess } from './bench-board'
import { wiredAccess } from '../../../devkit/wired-access'
import type { FaultOptions } from '../../../devkit/emulator/rom-loader-emulator'
import { buildFirmwareFromZip } from './test-firmware'

export interface AppUnderTest {
  page: Page
  store: FieldFlashStore
  bench: BenchBoard
  /** The station's wired boards, when the test asked for some. */
  stationBoards: BenchBoard[]
  catalog: BoardCatalog
  dataDir: string
  /** What the injected "save ZIP to…", "choose firmware" and "save export" dialogs answer. */
  dialogs: {
    templateFolder: string
    firmware: string | null
    exportFile: string | null
    resultsFile: string | null
  }
  pageErrors: string[]
}

export interface AppBench {
  /** The app on a fresh data folder, with a bench board plugged in (and wired station boards). */
  startApp(
    seed?: (store: FieldFlashStore) => void | Promise<void>,
    options?: { stationBoards?: { mac: string; faults?: FaultOptions }[] },
  ): Promise<AppUnderTest>
  /** The test browser (its foreignRequests must stay empty). */
  readonly browser: TestBrowser
  readonly catalog: BoardCatalog
}

/**
 * Registers the hooks of a test file that drives the app: one renderer build and one browser for
 * the file, and every app started by a test stopped after it (a failed test leaves its last screen
 * in `screensDir`, test-results/screens unless told).
 */
export function useAppBench(screensDir?: string): AppBench {
  let browser: TestBrowser
  let rendererDir: string
  let catalog: BoardCatalog
  const running: { api: MainApi; bench: BenchBoard; page: Page; stationBoards: BenchBoard[] }[] = []

  beforeAll(async () => {
    ;[rendererDir, browser, catalog] = await Promise.all([
      buildRenderer(),
      launchBrowser(screensDir),
      loadCatalog(),
    ])
  }, 90_000)

  afterAll(async () => {
    await browser?.close()
    if (rendererDir) await rm(rendererDir, { recursive: true, force: true })
  })

  afterEach(async (context) => {
    for (const app of running.splice(0)) {
      if (context.task.result?.state === 'fail') {
        await screenshot(app.page, `failed-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}`)
        console.log('bench app output:', JSON.stringify(app.bench.appOutput.slice(-600)))
      }
      await app.api.dispose()
      await app.page.close()
      await app.bench.stop()
      for (const board of app.stationBoards) await board.stop()
    }
  })

  const startApp = async (
    seed?: (store: FieldFlashStore) => void | Promise<void>,
    options: { stationBoards?: { mac: string; faults?: FaultOptions }[] } = {},
  ): Promise<AppUnderTest> => {
    const dataDir = await tempDir('fieldflash-app-')
    const store = await FieldFlashStore.open(dataDir)
    await seed?.(store)
    const bench = await BenchBoard.start()
    // More boards for the station: each with its reset circuit wired (see wiredAccess).
    const stationBoards: BenchBoard[] = []
    for (const board of options.stationBoards ?? []) {
      stationBoards.push(await BenchBoard.start({ wired: true, ...board }))
    }
    const wired = wiredAccess(() => stationBoards)
    const plain = benchAccess(bench)
    const dialogs = {
      templateFolder: join(dataDir, 'templates'),
      firmware: null as string | null,
      exportFile: join(dataDir, 'site-export.jsonl') as string | null,
      resultsFile: join(dataDir, 'station-results.csv') as string | null,
    }
    let api: MainApi | null = null
    const { page, deliver, pageErrors } = await openApp(browser, rendererDir, () => api!)
    api = createApi(
      {
        store,
        catalog,
        version: '0.1.0-test',
        dialogs: {
          chooseTemplateFolder: async () => dialogs.templateFolder,
          chooseFirmware: async () => dialogs.firmware,
          chooseExportFile: async () => dialogs.exportFile,
          chooseResultsFile: async () => dialogs.resultsFile,
        },
        // The benches' ptys, listed as the CP2102 bridges they stand for.
        listPorts: () =>
          listPorts(catalog, async () =>
            [bench, ...stationBoards]
              .filter((b) => b.present)
              .map((b, i) => ({
                path: b.clientPath,
                manufacturer: 'Silicon Labs',
                serialNumber: String(i + 1).padStart(4, '0'),
                vendorId: '10C4',
                productId: 'EA60',
                pnpId: undefined,
                locationId: undefined,
              })),
          ),
        flashDependencies: {
          openPort: (request, warn) =>
            (stationBoards.some((b) => b.clientPath === request.port.path)
              ? wired
              : plain
            ).flashDependencies!.openPort(request, warn),
          now: () => performance.now(),
        },
        monitorOptions: { presenceIntervalMs: 250, batchIntervalMs: 100 },
        log: (message) => console.log('main log:', message),
      },
      deliver,
    )
    running.push({ api, bench, page, stationBoards })
    await page.goto(`${APP_ORIGIN}/`)
    return { page, store, bench, stationBoards, catalog, dataDir, dialogs, pageErrors }
  }

  return {
    startApp,
    get browser() {
      return browser
    },
    get catalog() {
      return catalog
    },
  }
}

/** Waits until (the first match of) `locator` is visible. */
export function visible(locator: Locator, timeout = 5_000): Promise<void> {
  return locator.first().waitFor({ state: 'visible', timeout })
}

/** Waits until nothing matching `locator` is visible. */
export function hidden(locator: Locator, timeout = 5_000): Promise<void> {
  return locator.first().waitFor({ state: 'hidden', timeout })
}

/** Screenshot plus an accessibility scan of what is on screen. */
export async function capture(page: Page, name: string): Promise<void> {
  await screenshot(page, name)
  expect(await seriousA11yViolations(page), `axe on ${name}`).toEqual([])
}

export async function seedSite(store: FieldFlashStore): Promise<void> {
  await saveSiteProfile(store, SAMPLE_SITE)
}

/** A device with a downloaded template, and the firmware a developer built from it. */
export async function seedDeviceWithFirmware(
  app: AppUnderTest,
  uid: string,
): Promise<{ firmware: string }> {
  await addDevice(app.store, app.catalog, { uid, boardId: 'esp32-devkitc' })
  const zip = await downloadTemplate(app.store, app.catalog, {
    uid,
    outDir: join(app.dataDir, 'seed'),
  })
  return { firmware: await buildFirmwareFromZip(zip.zipPath) }
}

/** Devices → the device → "Provision this device…" → template step → flash step. */
export async function goToFlash(page: Page, uid: string): Promise<void> {
  await page.getByRole('button', { name: 'Devices', exact: true }).click()
  await page.getByRole('button', { name: uid }).click()
  await page.getByRole('button', { name: 'Provision this device…' }).click()
  await page.getByRole('button', { name: 'I already have firmware for it — go to flash' }).click()
  await visible(page.getByRole('heading', { name: `Flash ${uid}` }))
}

/** Who approves in these tests (every approval records its approver). */
export const TECHNICIAN = 'Ana Lima'

/**
 * Enters the technician's name in Settings (kept on this computer; every approval records it) and
 * comes back to "Provision a board".
 */
export async function enterTechnicianName(page: Page, name = TECHNICIAN): Promise<void> {
  await page.getByRole('button', { name: 'Settings' }).click()
  await page.getByLabel('Your name').fill(name)
  await page.getByRole('button', { name: 'Provision a board' }).click()
  await visible(page.getByRole('heading', { name: 'Which board are you preparing?' }))
}

/** Chooses the bench's port and a firmware build on the flash step. */
export async function chooseFirmwareAndPort(app: AppUnderTest, firmware: string): Promise<void> {
  const { page } = app
  await page.getByLabel('Serial port').selectOption(app.bench.clientPath)
  app.dialogs.firmware = firmware
  await page.getByRole('button', { name: 'Choose build folder…' }).click()
  await visible(page.getByText('firmware.bin', { exact: true }))
}
