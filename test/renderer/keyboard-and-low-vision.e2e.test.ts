import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { addDevice } from '../../main/devices/devices'
import { importFirmware } from '../../main/firmware-library/firmware-library'
import { screenshot, SCREENS_DIR, seriousA11yViolations } from './harness/app-page'
import {
  chooseFirmwareAndPort,
  enterTechnicianName,
  goToFlash,
  hidden,
  seedDeviceWithFirmware,
  seedSite,
  useAppBench,
  visible,
  type AppUnderTest,
} from './harness/app-under-test'
import { composite, contrastRatio, effectiveBackground, parseCssColor } from './harness/contrast'
import {
  controlBorders,
  describeFocus,
  focusedPlacement,
  horizontalOverflow,
  recordLiveRegions,
  waitForFocusOn,
  waitForFocusReading,
  watchFocus,
} from './harness/probes'
import { buildBaseFirmware, buildFirmwareFromZip } from './harness/test-firmware'

// What a technician who works with the keyboard alone, a screen reader, a magnifier or a small
// window meets: after every action the focus moves to what the action produced (never to the page
// body, from where the next Tab starts at the top), progress is spoken, controls can be told from
// their background, focused fields stay clear of the header, and nothing scrolls sideways at
// 320 px.

// Its screens (each main screen at 320 px) go beside the walkthrough's, in a folder of their own.
const bench = useAppBench(join(SCREENS_DIR, '..', 'screens-keyboard-and-low-vision'))
const { startApp } = bench

/** Focuses `control` and presses `key` on it, as a keyboard user does. */
async function press(control: Locator, key = 'Enter'): Promise<void> {
  await control.focus()
  await control.page().keyboard.press(key)
}

/** Presses Tab and waits for the focus to reach `target`. */
async function tabTo(page: Page, target: Locator, what: string): Promise<void> {
  await page.keyboard.press('Tab')
  await waitForFocusOn(page, target, what)
}

/** Devices → the device → "Provision this device…": the template step of `uid`. */
async function openTemplateStep(page: Page, uid: string): Promise<void> {
  await page.getByRole('button', { name: 'Devices', exact: true }).click()
  await page.getByRole('button', { name: uid }).click()
  await page.getByRole('button', { name: 'Provision this device…' }).click()
  await visible(page.getByRole('heading', { name: `Get the firmware template of ${uid}` }))
}

/** Flashes `uid`'s firmware on the bench board, then opens the verify step and waits for its verdict. */
async function flashAndVerify(app: AppUnderTest, uid: string): Promise<void> {
  const { page } = app
  const { firmware } = await seedDeviceWithFirmware(app, uid)
  await goToFlash(page, uid)
  await chooseFirmwareAndPort(app, firmware)
  await page.getByRole('button', { name: `Flash ${uid}` }).click()
  await visible(page.getByText('Flashed and verified'), 20_000)
  await page.getByRole('button', { name: 'Continue to verify' }).click()
  await visible(page.getByText('Verified', { exact: true }), 10_000)
}

describe('keyboard use: where the focus goes after each action', () => {
  it('moves the focus to the saved template after Download template, and again after Download again', async () => {
    const app = await startApp(seedSite)
    const { page } = app
    await addDevice(app.store, app.catalog, { uid: 'key-0001', boardId: 'esp32-devkitc' })
    await openTemplateStep(page, 'key-0001')

    const watch = await watchFocus(page)
    await press(page.getByRole('button', { name: 'Download template ZIP…' }))
    await waitForFocusReading(page, 'Template saved')
    const first = (await app.store.device('key-0001'))!.tokens.at(-1)!
    await visible(page.locator(':focus').getByText(first.expectedCode))

    await press(page.getByRole('button', { name: 'Download again (new token)…' }))
    await visible(page.getByText(/is now superseded/))
    await waitForFocusReading(page, 'Template saved')
    const second = (await app.store.device('key-0001'))!.tokens.at(-1)!
    expect(second.expectedCode).not.toBe(first.expectedCode)
    await visible(page.locator(':focus').getByText(second.expectedCode))
    expect(await watch.stop()).toEqual([])
    expect(app.pageErrors).toEqual([])
  }, 30_000)

  it('moves the focus to the live progress when a flash starts, with Cancel one Tab away, and to the outcome of a cancel', async () => {
    const app = await startApp(seedSite)
    const { page } = app
    const { firmware } = await seedDeviceWithFirmware(app, 'key-0002')
    // A slow link, so the job is still writing when Cancel is pressed.
    app.bench.enterDownloadMode({ responseDelayByCommand: { FLASH_DEFL_DATA: 1500 } })
    await goToFlash(page, 'key-0002')
    await chooseFirmwareAndPort(app, firmware)

    const watch = await watchFocus(page)
    await press(page.getByRole('button', { name: 'Flash key-0002' }))
    const progress = page.getByRole('region', { name: 'Flashing key-0002' })
    await waitForFocusOn(page, progress, 'the live progress of the flash')
    const cancel = page.getByRole('button', { name: 'Cancel flashing' })
    await tabTo(page, cancel, 'Cancel flashing')
    await visible(page.getByText(/Writing .* at 0x/), 15_000)
    await page.keyboard.press('Enter')
    await waitForFocusReading(page, 'Flashing cancelled', 10_000)
    expect(await watch.stop()).toEqual([])
    expect(app.pageErrors).toEqual([])
  }, 45_000)

  it('after a flash, puts the focus on the outcome, ahead of the warnings along the way', async () => {
    const app = await startApp(seedSite)
    const { page } = app
    await importFirmware(app.store, app.catalog, {
      path: await buildBaseFirmware(),
      boardId: 'esp32-devkitc',
    })
    await addDevice(app.store, app.catalog, { uid: 'key-0003', boardId: 'esp32-devkitc' })
    await openTemplateStep(page, 'key-0003')
    await page.getByRole('button', { name: 'I already have firmware for it — go to flash' }).click()
    await page.getByLabel('Serial port').selectOption(app.bench.clientPath)
    // A marginal cable: the job steps down a baud rate and warns about it on the way.
    app.bench.enterDownloadMode({ corruptLongFrames: { longerThan: 256, aboveBaud: 460800 } })

    const watch = await watchFocus(page)
    await press(page.getByRole('button', { name: 'Provision key-0003' }))
    await waitForFocusReading(page, 'Provisioned and verified', 30_000)
    // A screen reader reads the outcome first; the warnings along the way come after it.
    expect(await describeFocus(page)).not.toContain('Along the way')
    await visible(page.locator(':focus ~ *').getByText('Along the way'))
    await tabTo(
      page,
      page.getByRole('button', { name: 'Continue to verify' }),
      'Continue to verify',
    )
    expect(await watch.stop()).toEqual([])
    expect(app.pageErrors).toEqual([])
  }, 60_000)

  it('announces flash progress politely at each stage, every 10 % and each warning, never held back by aria-busy', async () => {
    const app = await startApp(seedSite)
    const { page } = app
    const { firmware } = await seedDeviceWithFirmware(app, 'key-0004')
    await goToFlash(page, 'key-0004')
    await chooseFirmwareAndPort(app, firmware)

    const live = await recordLiveRegions(page)
    await press(page.getByRole('button', { name: 'Flash key-0004' }))
    await visible(page.getByText('Flashed and verified'), 20_000)
    const heard = await live.stop()

    expect(heard.filter((announcement) => announcement.busy)).toEqual([])
    const texts = heard.map((announcement) => announcement.text)
    expect(texts).toContainEqual(expect.stringMatching(/Detecting the chip/))
    expect(texts).toContainEqual(expect.stringMatching(/Writing firmware\.bin at 0x10000/))
    // The warning a pty gives (no DTR/RTS), spoken as it happens, the first one too.
    expect(texts).toContainEqual(expect.stringMatching(/^Along the way/))
    const numbers = texts.flatMap((text) =>
      [...text.matchAll(/(\d+) percent/g)].map((match) => Number(match[1])),
    )
    // Progress in steps a listener can follow, not every percent, up to the end.
    expect(numbers.filter((n) => n % 10 !== 0)).toEqual([])
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b))
    expect(numbers.at(-1)).toBe(100)
    expect(new Set(numbers).size).toBeGreaterThanOrEqual(2)
    expect(app.pageErrors).toEqual([])
  }, 45_000)

  it('after Approve, puts the focus on the outcome with "Open the device record" one Tab away', async () => {
    const app = await startApp(seedSite)
    const { page } = app
    await enterTechnicianName(page)
    await flashAndVerify(app, 'key-0005')

    const watch = await watchFocus(page)
    await press(page.getByRole('button', { name: /Approve/ }))
    await waitForFocusReading(page, 'key-0005 is provisioned')
    const record = page.getByRole('button', { name: 'Open the device record' })
    await tabTo(page, record, 'Open the device record')
    await page.keyboard.press('Enter')
    await waitForFocusReading(page, 'Device key-0005')
    expect(await watch.stop()).toEqual([])
    expect((await app.store.device('key-0005'))!.approvedAt).not.toBeNull()
    expect(app.pageErrors).toEqual([])
  }, 60_000)

  it('asks for the approver’s name when none is set, with the focus on the name, and records it', async () => {
    const app = await startApp(seedSite)
    const { page } = app
    // No technician name on this computer (an earlier test of this browser may have set one).
    await page.evaluate("localStorage.removeItem('fieldflash.technician')")
    await flashAndVerify(app, 'key-0006')

    await press(page.getByRole('button', { name: /Approve/ }))
    const name = page.getByLabel('Approved by')
    await waitForFocusOn(page, name, 'the approver field')
    await visible(page.getByText('Enter your name: an approval records who made it.'))
    expect((await app.store.device('key-0006'))!.approvedAt).toBeNull()

    await page.keyboard.type('Dana Field')
    await press(page.getByRole('button', { name: /Approve/ }))
    await waitForFocusReading(page, 'key-0006 is provisioned')
    const approval = (await app.store.device('key-0006'))!.operations.find(
      (op) => op.state === 'approved',
    )
    expect(approval?.approver).toBe('Dana Field')
    expect(app.pageErrors).toEqual([])
  }, 60_000)

  it('returns the focus to the button that opened a confirm dialog when it is cancelled, once the page is usable again', async () => {
    const app = await startApp(seedSite)
    const { page } = app
    await addDevice(app.store, app.catalog, { uid: 'key-0006', boardId: 'esp32-devkitc' })
    await page.getByRole('button', { name: 'Devices', exact: true }).click()
    await page.getByRole('button', { name: 'key-0006' }).click()
    const regenerate = page.getByRole('button', { name: 'Regenerate token only…' })
    const rotate = page.getByRole('button', { name: 'Rotate MQTT password…' })
    const dialog = page.getByRole('dialog')

    const watch = await watchFocus(page)
    // Escape…
    await press(regenerate)
    await waitForFocusOn(page, dialog.getByRole('button', { name: 'Cancel' }), 'Cancel')
    await page.keyboard.press('Escape')
    await waitForFocusOn(page, regenerate, 'Regenerate token only…')
    expect(await dialog.count()).toBe(0)
    // …and the Cancel button (where the focus starts in the dialog).
    await press(rotate)
    await waitForFocusOn(page, dialog.getByRole('button', { name: 'Cancel' }), 'Cancel')
    await page.keyboard.press('Enter')
    await waitForFocusOn(page, rotate, 'Rotate MQTT password…')
    // The focus is really back where the user left: Enter opens the same dialog again.
    await page.keyboard.press('Enter')
    await visible(page.getByRole('dialog', { name: 'Rotate the MQTT password of key-0006?' }))
    await page.keyboard.press('Escape')
    await waitForFocusOn(page, rotate, 'Rotate MQTT password…')
    expect(await watch.stop()).toEqual([])
    expect((await app.store.device('key-0006'))!.tokens).toHaveLength(0)
    expect(app.pageErrors).toEqual([])
  }, 30_000)

  it('moves the focus to what a confirmed action produced: the new token, the revoke and rotate notices', async () => {
    const app = await startApp(seedSite)
    const { page } = app
    await addDevice(app.store, app.catalog, { uid: 'key-0007', boardId: 'esp32-devkitc' })
    await page.getByRole('button', { name: 'Devices', exact: true }).click()
    await page.getByRole('button', { name: 'key-0007' }).click()
    const regenerate = page.getByRole('button', { name: 'Regenerate token only…' })
    const confirm = async (opener: Locator, label: string): Promise<void> => {
      await press(opener)
      const button = page.getByRole('dialog').getByRole('button', { name: label })
      await tabTo(page, button, label)
      await page.keyboard.press('Enter')
    }

    const watch = await watchFocus(page)
    await confirm(regenerate, 'Regenerate token')
    await waitForFocusReading(page, 'New token — shown only this once')
    await tabTo(page, page.getByLabel(/PROVISIONING_TOKEN/), 'the new token')
    // Hiding the token puts the focus back on the button that made it.
    await press(page.getByRole('button', { name: 'I have copied it — hide the token' }))
    await waitForFocusOn(page, regenerate, 'Regenerate token only…')

    // Revoking leaves the Revoke button disabled: the focus goes to the notice instead.
    await confirm(page.getByRole('button', { name: 'Revoke token…' }), 'Revoke token')
    await waitForFocusReading(page, 'Done')
    await visible(page.locator(':focus').getByText(/^Token revoked/))
    expect(await page.getByRole('button', { name: 'Revoke token…' }).isDisabled()).toBe(true)
    await confirm(page.getByRole('button', { name: 'Rotate MQTT password…' }), 'Rotate password')
    await waitForFocusReading(page, 'Done')
    await visible(page.locator(':focus').getByText(/^MQTT password replaced/))
    expect(await watch.stop()).toEqual([])
    expect((await app.store.device('key-0007'))!.tokens.at(-1)!.state).toBe('revoked')
    expect(app.pageErrors).toEqual([])
  }, 30_000)

  it('after Show more devices, moves the focus to the first device it added', async () => {
    const app = await startApp(async (store) => {
      await seedSite(store)
      // One more than a page: the button goes once the last one is shown.
      for (let i = 0; i <= 100; i++) {
        const uid = `many-${String(i).padStart(3, '0')}`
        await addDevice(store, bench.catalog, { uid, boardId: 'esp32-devkitc' })
      }
    })
    const { page } = app
    await page.getByRole('button', { name: 'Devices', exact: true }).click()
    await visible(page.getByText('100+ shown of 101 devices'))

    const watch = await watchFocus(page)
    await press(page.getByRole('button', { name: 'Show more devices' }))
    // Newest first: the one added is the oldest.
    await waitForFocusOn(page, page.getByRole('button', { name: 'many-000' }), 'many-000')
    expect(await page.getByRole('button', { name: 'Show more devices' }).count()).toBe(0)
    expect(await watch.stop()).toEqual([])
    expect(app.pageErrors).toEqual([])
  }, 30_000)
})

describe('low vision: contrast, zoom and reflow', () => {
  it('draws input, select and button borders at 3:1 or more against their background, light and dark', async () => {
    const app = await startApp(seedSite)
    const { page } = app
    await addDevice(app.store, app.catalog, { uid: 'see-0001', boardId: 'esp32-devkitc' })
    const checked = { light: new Set<string>(), dark: new Set<string>() }
    const tooFaint: string[] = []
    const check = async (screen: string): Promise<void> => {
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme })
        for (const control of await controlBorders(page)) {
          const background = effectiveBackground(control.backgrounds)
          // Transparent sides draw nothing (a tab's unselected underline); the rest must show.
          const ratios = control.borders
            .map(parseCssColor)
            .filter((border) => border.a > 0)
            .map((border) => contrastRatio(composite(border, background), background))
          if (ratios.length === 0) continue
          checked[scheme].add(control.kind)
          const faintest = Math.min(...ratios)
          if (faintest < 3)
            tooFaint.push(`${scheme}, ${screen}: ${control.name} ${faintest.toFixed(2)}:1`)
        }
      }
      await page.emulateMedia({ colorScheme: 'light' })
    }

    await visible(page.getByRole('heading', { name: 'Which board are you preparing?' }))
    await check('board step')
    await page.getByRole('button', { name: 'Settings' }).click()
    await visible(page.getByLabel('Platform key'))
    await check('settings')
    await page.getByRole('button', { name: 'Devices', exact: true }).click()
    await page.getByRole('button', { name: 'see-0001' }).click()
    await page.getByRole('button', { name: 'Regenerate token only…' }).click()
    await visible(page.getByRole('dialog'))
    await check('confirm dialog')
    await page.getByRole('dialog').getByRole('button', { name: 'Regenerate token' }).click()
    await visible(page.getByLabel(/PROVISIONING_TOKEN/))
    await check('new token')
    await page.getByRole('button', { name: 'Provision this device…' }).click()
    await page.getByRole('button', { name: 'I already have firmware for it — go to flash' }).click()
    await page.getByLabel('Serial port').selectOption(app.bench.clientPath)
    await check('flash step')

    expect(tooFaint).toEqual([])
    for (const scheme of ['light', 'dark'] as const) {
      expect([...checked[scheme]].sort(), scheme).toEqual(['button', 'input', 'select'])
    }
    expect(app.pageErrors).toEqual([])
  }, 30_000)

  for (const size of [
    { width: 640, height: 400, what: '200 % zoom of a 1280 × 800 window' },
    { width: 1280, height: 560, what: 'a short 1280 × 560 window' },
  ]) {
    it(`keeps a focused field clear of the header at ${size.what}, tabbing both ways`, async () => {
      const app = await startApp(seedSite)
      const { page } = app
      await page.setViewportSize({ width: size.width, height: size.height })
      await page.getByRole('button', { name: 'Settings' }).click()
      await visible(page.getByLabel('Your name'))
      const header = page.locator('header')
      const hiddenFields: string[] = []
      let visited = 0
      const walk = async (key: 'Tab' | 'Shift+Tab', from: Locator): Promise<void> => {
        await from.focus()
        for (let step = 0; step < 40; step++) {
          await page.keyboard.press(key)
          const focusInHeader = await header.evaluate((el) =>
            el.contains(
              (globalThis as unknown as { document: { activeElement: unknown } }).document
                .activeElement as never,
            ),
          )
          if (focusInHeader) return
          const at = await focusedPlacement(page)
          if (at.name.includes('Your name')) return
          visited++
          const seen =
            at.top >= 0 &&
            at.top + Math.min(24, at.bottom - at.top) <= at.viewportHeight &&
            at.topLeftShows &&
            at.topRightShows
          if (!seen) hiddenFields.push(`${key}: ${at.name} at ${Math.round(at.top)} px`)
        }
      }
      // Up from the last field: each field scrolls in at the top edge, where the header sits.
      await walk('Shift+Tab', page.getByLabel('Your name'))
      // Down from the top.
      await page.evaluate(() =>
        (globalThis as unknown as { scrollTo: (x: number, y: number) => void }).scrollTo(0, 0),
      )
      await walk('Tab', page.getByRole('button', { name: 'Settings' }))
      expect(visited).toBeGreaterThan(10)
      expect(hiddenFields).toEqual([])
    }, 30_000)
  }

  it('reflows at 320 px: no screen scrolls sideways or reaches past the window, and axe finds nothing there', async () => {
    const app = await startApp()
    const { page } = app
    await page.setViewportSize({ width: 320, height: 640 })
    const sideways: string[] = []
    const check = async (screen: string): Promise<void> => {
      const overflow = await horizontalOverflow(page)
      if (overflow.pageWidth > overflow.viewport)
        sideways.push(`${screen}: the page is ${overflow.pageWidth} px wide`)
      sideways.push(...overflow.outside.map((what) => `${screen}: ${what}`))
      await screenshot(page, `320-${screen.replace(/\W+/g, '-')}`)
      const violations = await seriousA11yViolations(page)
      sideways.push(...violations.map((v) => `${screen}: axe ${v.id} ${v.targets.join(', ')}`))
    }

    await visible(page.getByRole('heading', { name: 'Welcome to FieldFlash' }))
    await page.getByLabel('MQTT port').fill('70000')
    await page.getByLabel('MQTT port').blur()
    await visible(page.getByText(/must be a whole number from 1 to 65535/))
    await check('first run')
    await page.getByLabel('Platform key').fill('pk_live_1')
    await page.getByLabel('API host').fill('api.example.com')
    await page.getByLabel('MQTT host').fill('mqtt.example.com')
    await page.getByLabel('MQTT port').fill('8883')
    await page.getByLabel('OTA base URL').fill('https://ota.example.com/fw')
    await page.getByRole('button', { name: 'Save and start' }).click()
    await enterTechnicianName(page)

    await visible(page.getByRole('heading', { name: 'Provision a board' }))
    await page.getByRole('radio', { name: /Silicon Labs CP210x/ }).check()
    await page.getByRole('radio', { name: /ESP32-DevKitC/ }).check()
    await check('board step')
    await page.getByRole('button', { name: 'Continue with ESP32-DevKitC' }).click()
    await visible(page.getByRole('heading', { name: /Which device will this/ }))
    await check('device step')
    await page.getByLabel('Device UID (optional)').fill('narrow-0001')
    await page.getByRole('button', { name: 'Create device narrow-0001' }).click()
    await visible(page.getByRole('heading', { name: 'Get the firmware template of narrow-0001' }))
    await check('template step')
    await page.getByRole('button', { name: 'Download template ZIP…' }).click()
    await visible(page.getByText('Template saved'))
    await check('template saved')
    const firmware = await buildFirmwareFromZip(join(app.dialogs.templateFolder, 'narrow-0001.zip'))
    await page.getByRole('button', { name: 'Continue to flash' }).click()
    await visible(page.getByRole('heading', { name: 'Flash narrow-0001' }))
    await chooseFirmwareAndPort(app, firmware)
    await page.getByText('Options', { exact: true }).click()
    await check('flash step')
    app.bench.enterDownloadMode({ responseDelayByCommand: { FLASH_DEFL_DATA: 300 } })
    await page.getByRole('button', { name: 'Flash narrow-0001' }).click()
    await visible(page.getByText(/Writing .* at 0x/), 15_000)
    await check('flashing')
    await visible(page.getByText('Flashed and verified'), 30_000)
    await check('flashed')
    await page.getByRole('button', { name: 'Continue to verify' }).click()
    await visible(page.getByText('Verified', { exact: true }), 10_000)
    await check('verify step')
    await page.getByRole('button', { name: /Approve/ }).click()
    await visible(page.getByText('narrow-0001 is provisioned'))
    await check('approved')
    await page.getByRole('button', { name: 'Open the device record' }).click()
    await visible(page.getByRole('heading', { name: 'Device narrow-0001' }))
    await check('device page')
    // A table too wide for the window scrolls in its own box, which the keyboard can scroll…
    const tokens = page.getByRole('region', { name: 'Tokens table', exact: true })
    await press(tokens, 'ArrowRight')
    await page.waitForFunction(
      (box) => (box as unknown as { scrollLeft: number }).scrollLeft > 0,
      await tokens.elementHandle(),
    )
    // …and is no Tab stop where it fits.
    await page.setViewportSize({ width: 1280, height: 800 })
    await hidden(tokens)
    await page.setViewportSize({ width: 320, height: 640 })
    await visible(tokens)
    await page.getByRole('button', { name: 'Rotate MQTT password…' }).click()
    await visible(page.getByRole('dialog'))
    await check('confirm dialog')
    await page.keyboard.press('Escape')
    await page.getByRole('button', { name: 'Devices', exact: true }).click()
    await visible(page.getByRole('button', { name: 'narrow-0001' }))
    await check('devices')
    await page.getByRole('button', { name: 'Serial console' }).click()
    await page.getByLabel('Port').selectOption(app.bench.clientPath)
    await page.getByRole('button', { name: 'Open console' }).click()
    await visible(page.getByText('narrow-0001: registered'), 10_000)
    await check('console')
    await page.getByRole('button', { name: 'Close console' }).click()
    await page.getByRole('button', { name: 'Settings' }).click()
    await visible(page.getByLabel('Your name'))
    await check('settings')

    expect(sideways).toEqual([])
    expect(app.pageErrors, app.pageErrors.join('\n')).toEqual([])
  }, 90_000)
})
