import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readAuditLog } from '../../main/audit/audit-log'
import { importFirmware } from '../../main/firmware-library/firmware-library'
import { cli } from '../helpers/run-cli'
import { screenshot } from './harness/app-page'
import {
  capture,
  chooseFirmwareAndPort,
  enterTechnicianName,
  goToFlash,
  hidden,
  seedDeviceWithFirmware,
  seedSite,
  TECHNICIAN,
  useAppBench,
  visible,
} from './harness/app-under-test'
import { BENCH_MAC } from './harness/bench-board'
import { buildBaseFirmware, buildFirmwareFromZip } from './harness/test-firmware'

// The renderer in real Chromium, its `window.fieldflash` bridged to the real main-process handlers
// with a temp data folder, the real board catalog, and a bench board behind a pty: the ROM-loader
// emulator for flashing, then the host-built firmware printing its bootstrap banner.

const bench = useAppBench()
const { startApp } = bench

describe('FieldFlash in Chromium', () => {
  it("walks a newcomer's whole path: site profile, board, device, template, flash, verify, approve", async () => {
    const app = await startApp()
    const { page } = app

    // First run: an empty data folder asks for the site profile.
    await visible(page.getByRole('heading', { name: 'Welcome to FieldFlash' }))
    await capture(page, '01-first-run')
    await page.getByLabel('Platform key').fill('pk_live_1')
    await page.getByLabel('API host').fill('https://api.example.com')
    await page.getByLabel('MQTT port').fill('70000')
    await page.getByLabel('MQTT port').blur()
    // Checked by main's rules as the user types, shown on the field at fault.
    await visible(page.getByText(/must be a DNS name/))
    await visible(page.getByText(/must be a whole number from 1 to 65535/))
    await capture(page, '02-site-profile-invalid')
    await page.getByLabel('API host').fill('api.example.com')
    await page.getByLabel('MQTT host').fill('mqtt.example.com')
    await page.getByLabel('MQTT port').fill('8883')
    await page.getByLabel('OTA base URL').fill('https://ota.example.com/fw')
    await hidden(page.getByText(/must be a DNS name/))
    // The site Wi-Fi, for the config partitions: a WPA password under 8 characters is refused.
    await page.getByRole('radio', { name: /WPA2\/WPA3 with a password/ }).check()
    await page.getByLabel('Network name (SSID)').fill('Plant 3 – Hall')
    await page.getByLabel('Wi-Fi password').fill('short')
    await page.getByLabel('Wi-Fi password').blur()
    await visible(page.getByText(/must be 8–63 printable ASCII characters/))
    await page.getByLabel('Wi-Fi password').fill('correct horse')
    await hidden(page.getByText(/must be 8–63 printable ASCII characters/))
    await page.getByRole('button', { name: 'Save and start' }).click()
    // Who approves: every approval records the technician's name.
    await enterTechnicianName(page)

    // Board: the plugged-in CP2102 is listed with its friendly name; its boards are suggested.
    await visible(page.getByRole('heading', { name: 'Provision a board' }))
    const port = page.getByRole('radio', { name: /Silicon Labs CP210x/ })
    await visible(port)
    await port.check()
    await visible(page.getByText('Suggested').first())
    await page.getByRole('radio', { name: /ESP32-DevKitC/ }).check()
    await capture(page, '03-board')
    await page.getByRole('button', { name: 'Continue with ESP32-DevKitC' }).click()

    // Device: a typed UID is checked inline.
    await visible(page.getByRole('heading', { name: /Which device will this/ }))
    const uidField = page.getByLabel('Device UID (optional)')
    await uidField.fill('pump 1')
    await visible(page.getByText(/4–90 characters of 0-9 a-z A-Z - _ \./).last())
    await capture(page, '04-device-invalid-uid')
    await uidField.fill('pump-0001')
    await page.getByRole('button', { name: 'Create device pump-0001' }).click()

    // Template: download the ZIP to the place the (injected) dialog answers.
    await visible(page.getByRole('heading', { name: 'Get the firmware template of pump-0001' }))
    await capture(page, '05-template')
    await page.getByRole('button', { name: 'Download template ZIP…' }).click()
    await visible(page.getByText('Template saved'))
    const token = (await app.store.device('pump-0001'))!.tokens.at(-1)!
    await visible(page.getByText(token.expectedCode).first())
    await capture(page, '06-template-saved')
    // The developer's build of that template.
    const firmware = await buildFirmwareFromZip(join(app.dialogs.templateFolder, 'pump-0001.zip'))
    await page.getByRole('button', { name: 'Continue to flash' }).click()

    // Flash: port and firmware chosen, the firmware's token is the current one.
    await visible(page.getByRole('heading', { name: 'Flash pump-0001' }))
    await chooseFirmwareAndPort(app, firmware)
    await visible(page.getByText('Current token inside'))
    await capture(page, '07-flash-ready')
    await page.getByRole('button', { name: 'Flash pump-0001' }).click()
    await visible(page.getByText('Flashed and verified'), 20_000)
    await visible(page.getByText(BENCH_MAC))
    await capture(page, '08-flash-done')
    await page.getByRole('button', { name: 'Continue to verify' }).click()

    // Verify: the board's banner arrives on the console, the codes match side by side.
    await visible(page.getByRole('heading', { name: 'Verify pump-0001 on its serial console' }))
    await visible(page.getByText('Verified', { exact: true }), 10_000)
    await visible(page.getByLabel(`Expected code ${token.expectedCode}`))
    await visible(page.getByLabel(`Code on the board ${token.expectedCode}`))
    await visible(page.getByRole('log').getByText(/FFBOOT v=1 uid=pump-0001/))
    await capture(page, '09-verify-verified')
    await page.setViewportSize({ width: 1920, height: 1080 })
    await screenshot(page, '09b-verify-verified-1920')
    await page.setViewportSize({ width: 1280, height: 800 })
    await page.getByRole('button', { name: /Approve/ }).click()
    await visible(page.getByText('pump-0001 is provisioned'))
    // …and registered over the same cable (the template-built firmware registers too).
    await visible(page.getByText('pump-0001 is provisioned and registered'), 20_000)
    await capture(page, '10-approved')

    // The record: flashed on this board, token consumed, operation approved, all in the audit log.
    const device = (await app.store.device('pump-0001'))!
    expect(device.approvedAt).not.toBeNull()
    expect(device.tokens.at(-1)!.state).toBe('consumed')
    expect(device.flashes).toHaveLength(1)
    expect(device.flashes[0]!.mac).toBe(BENCH_MAC)
    expect(device.operations.filter((op) => op.state === 'approved')).toHaveLength(1)
    expect(device.operations.find((op) => op.state === 'approved')!.approver).toBe(TECHNICIAN)
    const audit = (await readAuditLog(app.store, { uid: 'pump-0001' })).map((e) => e.type)
    expect(audit).toEqual(
      expect.arrayContaining([
        'device.created',
        'token.minted',
        'operation.approved',
        'token.consumed',
        'registration.issued',
        'registration.acknowledged',
      ]),
    )

    // History: the device page, the list, the console and settings.
    await page.getByRole('button', { name: 'Open the device record' }).click()
    await visible(page.getByRole('heading', { name: 'Device pump-0001' }))
    await visible(page.getByText(/Consumed/).first())
    await capture(page, '11-device-page')
    await page.getByRole('button', { name: '← All devices' }).click()
    await visible(page.getByText('✓ Registered'))
    await capture(page, '12-devices')
    await page.emulateMedia({ colorScheme: 'dark' })
    await capture(page, '12b-devices-dark')
    await page.emulateMedia({ colorScheme: 'light' })
    await page.getByRole('button', { name: 'Serial console' }).click()
    await page.getByLabel('Port').selectOption(app.bench.clientPath)
    await page.getByRole('button', { name: 'Open console' }).click()
    // A registered board prints its status line instead of the banner: the console names it.
    await visible(page.getByText('pump-0001: registered'), 10_000)
    await capture(page, '13-console')
    await page.getByRole('button', { name: 'Close console' }).click()
    await page.getByRole('button', { name: 'Settings' }).click()
    await visible(page.getByText(app.dataDir))
    // Saved, kept in main: the form shows the SSID and that a password is set, never the password.
    expect((await app.store.site())!.wifi).toEqual({
      ssid: 'Plant 3 – Hall',
      password: 'correct horse',
    })
    expect(await page.getByLabel('Network name (SSID)').inputValue()).toBe('Plant 3 – Hall')
    expect(await page.getByLabel('Wi-Fi password').inputValue()).toBe('')
    await visible(page.getByText(/A password is saved/))
    expect(await page.content()).not.toContain('correct horse')
    await capture(page, '14-settings')
    // The registry: this computer's own, ready. A shared one is chosen for the next start, and
    // never with its password (that belongs in ~/.pgpass).
    const registry = page.getByRole('region', { name: 'Registry' })
    await visible(registry.getByText("This computer's own (SQLite)"))
    await visible(registry.getByText('Ready'))
    const shared = page.getByLabel('Shared registry (PostgreSQL URL)')
    await shared.fill('postgres://fieldflash:hunter2@db.example:5432/fieldflash')
    await page.getByRole('button', { name: 'Use this shared registry' }).click()
    await visible(page.getByText(/must not carry a password: put it in ~\/\.pgpass/))
    await shared.fill('postgres://fieldflash@db.example:5432/fieldflash?sslmode=verify-full')
    await page.getByRole('button', { name: 'Use this shared registry' }).click()
    await visible(page.getByText('Saved: restart FieldFlash to use it'))
    await visible(page.getByText(/From the next start: postgres:\/\/fieldflash@db\.example/))
    expect(await page.content()).not.toContain('hunter2')
    await capture(page, '14b-settings-registry')

    expect(app.pageErrors).toEqual([])
    expect(bench.browser.foreignRequests).toEqual([])
  }, 90_000)

  it('provisions with no compiler: board, device, the base firmware with fresh credentials, verified, approved and registered; then exported', async () => {
    const app = await startApp(seedSite)
    // The firmware team's base firmware for the board (no device's values: it reads them from
    // the ffcfg partition), imported once.
    const build = await buildBaseFirmware()
    await importFirmware(app.store, bench.catalog, { path: build, boardId: 'esp32-devkitc' })
    const { page } = app
    await enterTechnicianName(page)

    await visible(page.getByRole('heading', { name: 'Provision a board' }))
    const port = page.getByRole('radio', { name: /Silicon Labs CP210x/ })
    await visible(port)
    await port.check()
    await page.getByRole('radio', { name: /ESP32-DevKitC/ }).check()
    await page.getByRole('button', { name: 'Continue with ESP32-DevKitC' }).click()
    await visible(page.getByRole('heading', { name: /Which device will this/ }))
    await page.getByLabel('Device UID (optional)').fill('well-0009')
    await page.getByRole('button', { name: 'Create device well-0009' }).click()

    // No template step: the base firmware is preselected, and the stepper shows the template
    // skipped.
    await visible(page.getByRole('heading', { name: 'Flash well-0009' }))
    await visible(
      page.getByRole('navigation', { name: 'Provisioning steps' }).getByText('(skipped)'),
    )
    expect(
      await page
        .getByRole('radio', { name: 'Base firmware + fresh credentials (no compiler)' })
        .isChecked(),
    ).toBe(true)
    await capture(page, '11-provision-ready')
    // A marginal cable: at the CP2102's 921600 baud the (compressed) blocks arrive spoilt. The job
    // steps down a rate and says so on the way.
    app.bench.enterDownloadMode({ corruptLongFrames: { longerThan: 256, aboveBaud: 460800 } })
    await page.getByRole('button', { name: 'Provision well-0009' }).click()
    await visible(page.getByText('Provisioned and verified'), 30_000)
    await visible(page.getByText(/failed \(.+\) at 921600 baud; continuing at 460800 baud/))
    await visible(page.getByText(/at 460,800 baud/))
    const device = (await app.store.device('well-0009'))!
    const token = device.tokens.at(-1)!
    expect(token).toMatchObject({ state: 'issued', origin: 'provision' })
    await visible(page.getByText(token.expectedCode))
    expect(device.flashes).toHaveLength(1)
    expect(device.flashes[0]!.parts.map((p) => p.offset)).toContain(0x3ed000)
    await capture(page, '12-provisioned')

    // The board boots the base firmware, which finds its values in the ffcfg partition just
    // written: its banner proves the fresh token, and the technician approves it.
    await page.getByRole('button', { name: 'Continue to verify' }).click()
    await visible(page.getByRole('heading', { name: 'Verify well-0009 on its serial console' }))
    await visible(page.getByText('Verified', { exact: true }), 15_000)
    await visible(page.getByLabel(`Code on the board ${token.expectedCode}`))
    await visible(page.getByRole('log').getByText(/FFBOOT v=1 uid=well-0009 .* cfg=nvs/))
    await page.getByRole('button', { name: /Approve/ }).click()
    await visible(page.getByText('well-0009 is provisioned'))
    expect((await app.store.device('well-0009'))!.tokens.at(-1)!.state).toBe('consumed')

    // Approved, the board is registered over the same console: it receives its registration
    // token, acknowledges, and prints its status line instead of the banner from then on.
    await visible(page.getByText('well-0009 is provisioned and registered'), 20_000)
    const registration = (await app.store.device('well-0009'))!.registrations.at(-1)!
    expect(registration).toMatchObject({ state: 'active', mac: BENCH_MAC, origin: 'register' })
    await visible(
      page.getByText(`registration token ${registration.fingerprint}`, { exact: false }),
    )
    await visible(
      page
        .getByRole('log')
        .getByText(new RegExp(`FFREGD v=1 uid=well-0009 rfp=${registration.fingerprint}`)),
    )
    await capture(page, '12b-provisioned-registered')

    await page.getByRole('button', { name: 'Open the device record' }).click()
    await visible(page.getByRole('heading', { name: 'Registration' }))
    const section = page.getByRole('region', { name: 'Registration' })
    await visible(section.getByText('Registered', { exact: true }))
    await visible(section.getByRole('cell', { name: registration.fingerprint }))
    await capture(page, '12c-device-registered')

    // The board is still on the cable: a refresh gives it a new registration token and retires
    // the old one; a revocation then marks the device's registration revoked.
    await section.getByLabel('Board on port').selectOption(app.bench.clientPath)
    await section.getByRole('button', { name: 'Refresh registration' }).click()
    const refreshed = page.getByText(/well-0009 is registered: token [0-9a-f]{8}/)
    await visible(refreshed, 20_000)
    const [older, newer] = (await app.store.device('well-0009'))!.registrations
    expect([older!.state, newer!.state, newer!.origin]).toEqual(['superseded', 'active', 'refresh'])
    await visible(section.getByRole('cell', { name: 'Superseded by a refresh' }))
    await section.getByRole('button', { name: 'Revoke registration…' }).click()
    await page
      .getByRole('dialog', { name: 'Revoke the registration of well-0009?' })
      .getByRole('button', { name: 'Revoke registration' })
      .click()
    await visible(section.getByText('Registration revoked', { exact: true }))
    expect((await app.store.device('well-0009'))!.registrations.at(-1)!.state).toBe('revoked')

    // What the platform gets: the signed export, from the Devices page.
    await page.getByRole('button', { name: 'Devices', exact: true }).click()
    const row = page.getByRole('row', { name: /well-0009/ })
    await visible(row.getByText('Registration revoked', { exact: true }))
    await page.getByRole('button', { name: 'Export…' }).click()
    await visible(page.getByText('Export written'))
    await capture(page, '12d-exported')
    const exported = await readFile(app.dialogs.exportFile!, 'utf8')
    expect(exported).toContain(`"sha256":"${registration.hash}"`)
    expect(exported).toContain('"revoked":true')
    expect(exported).not.toContain((await app.store.device('well-0009'))!.mqtt.password)
    const verified = await cli(app.dataDir, 'export', 'verify', app.dialogs.exportFile!)
    expect(verified).toMatchObject({ code: 0, err: '' })
    expect(app.pageErrors).toEqual([])
  }, 120_000)

  it('tells the technician before flashing a firmware whose token was regenerated, and never approves it', async () => {
    const app = await startApp(seedSite)
    const { page } = app
    const { firmware } = await seedDeviceWithFirmware(app, 'tank-0002')

    // The token is regenerated after the firmware was built: that build is now stale.
    await page.getByRole('button', { name: 'Devices', exact: true }).click()
    await page.getByRole('button', { name: 'tank-0002' }).click()
    await page.getByRole('button', { name: 'Regenerate token only…' }).click()
    const dialog = page.getByRole('dialog', { name: 'Regenerate the token of tank-0002?' })
    await visible(dialog.getByText(/device_config\.h of tank-0002 is then outdated/))
    await capture(page, '20-stale-regenerate-confirm')
    await dialog.getByRole('button', { name: 'Regenerate token' }).click()
    await visible(page.getByText('New token — shown only this once'))
    expect(await page.getByLabel(/PROVISIONING_TOKEN/).inputValue()).toMatch(/^ffpt_/)
    await capture(page, '21-stale-new-token-shown-once')
    await page.getByRole('button', { name: 'I have copied it — hide the token' }).click()
    await hidden(page.getByLabel(/PROVISIONING_TOKEN/))

    await page.getByRole('button', { name: 'Provision this device…' }).click()
    await page.getByRole('button', { name: 'I already have firmware for it — go to flash' }).click()
    await chooseFirmwareAndPort(app, firmware)
    await visible(page.getByText('This firmware carries an outdated token'))
    const flash = page.getByRole('button', { name: 'Flash tank-0002' })
    expect(await flash.isDisabled()).toBe(true)
    await capture(page, '22-stale-warning')
    await page.getByLabel(/Flash it anyway/).check()
    await flash.click()
    await visible(page.getByText('Flashed and verified'), 20_000)
    await page.getByRole('button', { name: 'Continue to verify' }).click()
    await visible(page.getByText('Outdated token', { exact: true }), 10_000)
    expect(await page.getByRole('button', { name: /Approve/ }).isDisabled()).toBe(true)
    await capture(page, '23-stale-verify')
    expect((await app.store.device('tank-0002'))!.approvedAt).toBeNull()
    expect(app.pageErrors).toEqual([])
  }, 60_000)

  it('cancels a flash in progress, records nothing, and flashes fine afterwards', async () => {
    const app = await startApp(seedSite)
    const { page } = app
    const { firmware } = await seedDeviceWithFirmware(app, 'gate-0003')
    // A slow link, so the job is still writing when Cancel is pressed.
    app.bench.enterDownloadMode({ responseDelayByCommand: { FLASH_DEFL_DATA: 1500 } })
    await goToFlash(page, 'gate-0003')
    await chooseFirmwareAndPort(app, firmware)
    await page.getByRole('button', { name: 'Flash gate-0003' }).click()
    await visible(page.getByText(/Writing .* at 0x/), 15_000)
    await visible(page.getByLabel('Flash progress'))
    await capture(page, '30-flash-progress')
    await page.getByRole('button', { name: 'Cancel flashing' }).click()
    await visible(page.getByText('Flashing cancelled'), 5_000)
    await visible(page.getByText(/partial image/))
    await capture(page, '31-flash-cancelled')
    expect((await app.store.device('gate-0003'))!.flashes).toHaveLength(0)

    // The technician puts the board back into download mode and flashes again.
    app.bench.enterDownloadMode()
    await page.getByRole('button', { name: 'Flash again' }).click()
    await visible(page.getByText('Flashed and verified'), 20_000)
    expect((await app.store.device('gate-0003'))!.flashes).toHaveLength(1)
    expect(app.pageErrors).toEqual([])
  }, 60_000)

  it('reports an unplugged board as disconnected, and a retry after re-plugging works', async () => {
    const app = await startApp(seedSite)
    const { page } = app
    const { firmware } = await seedDeviceWithFirmware(app, 'well-0004')
    // The cable comes out once most of the flasher stub has arrived.
    app.bench.enterDownloadMode({ unplugAfterBytesReceived: 6000 })
    await goToFlash(page, 'well-0004')
    await chooseFirmwareAndPort(app, firmware)
    await page.getByRole('button', { name: 'Flash well-0004' }).click()
    await visible(page.getByText('The board was disconnected'), 30_000)
    await visible(page.getByText(/Plug it back in/))
    await visible(page.getByText(/is not connected any more/), 5_000)
    await capture(page, '40-unplugged')
    expect((await app.store.device('well-0004'))!.flashes).toHaveLength(0)

    await app.bench.replug()
    await hidden(page.getByText(/is not connected any more/), 5_000)
    await page.getByRole('button', { name: 'Flash again' }).click()
    await visible(page.getByText('Flashed and verified'), 20_000)
    await page.getByRole('button', { name: 'Continue to verify' }).click()
    await visible(page.getByText('Verified', { exact: true }), 10_000)

    // Unplugged while the console listens: said within seconds, the port released.
    await app.bench.unplug()
    await visible(page.getByText('The board was disconnected'), 5_000)
    await visible(page.getByRole('button', { name: 'Reconnect' }))
    await capture(page, '41-unplugged-while-verifying')
    expect(app.pageErrors).toEqual([])
  }, 60_000)

  it('can be driven with the keyboard alone, focus landing on each new step', async () => {
    const app = await startApp(seedSite)
    const { page } = app
    const focused = (): Promise<string> =>
      page.evaluate(
        () =>
          (globalThis as unknown as { document: { activeElement: { textContent: string } | null } })
            .document.activeElement?.textContent ?? '',
      )
    await visible(page.getByRole('radio', { name: /Silicon Labs CP210x/ }))
    expect(await focused()).toBe('Which board are you preparing?')
    await page.keyboard.press('Tab') // the connected board
    await page.keyboard.press('Space')
    await page.keyboard.press('Tab') // the catalog: the suggested board is chosen
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('ArrowDown')
    await visible(page.getByRole('button', { name: 'Continue with ESP32-DevKitC' }))
    await page.keyboard.press('Tab')
    await page.keyboard.press('Enter')
    await visible(page.getByRole('heading', { name: /Which device will this ESP32-DevKitC/ }))
    expect(await focused()).toBe('Which device will this ESP32-DevKitC become?')
    await page.keyboard.press('Tab') // new or existing
    await page.keyboard.press('Tab') // the UID field
    await page.keyboard.type('kbd-0001')
    await visible(page.getByRole('button', { name: 'Create device kbd-0001' }))
    await page.keyboard.press('Enter')
    await visible(page.getByRole('heading', { name: 'Get the firmware template of kbd-0001' }))
    expect(await focused()).toBe('Get the firmware template of kbd-0001')
    expect((await app.store.device('kbd-0001'))?.boardId).toBe('esp32-devkitc')
    expect(app.pageErrors).toEqual([])
  }, 30_000)
})
