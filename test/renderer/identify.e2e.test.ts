import { describe, expect, it } from 'vitest'
import { wiredAccess } from '../../devkit/wired-access'
import { addDevice } from '../../main/devices/devices'
import { importFirmware } from '../../main/firmware-library/firmware-library'
import { provisionBoard } from '../../main/provision/provision-board'
import { TOKEN_PREFIX } from '../../main/shared/token-prefix'
import { capture, seedSite, useAppBench, visible } from './harness/app-under-test'
import { waitForFocusReading } from './harness/probes'
import { buildBaseFirmware } from './harness/test-firmware'

// "Identify board" in the app's Serial console: the board on a port read back in download mode
// (two wired bench boards: one provisioned by FieldFlash, one blank), nothing written, no secret.

const bench = useAppBench()

describe('Identify board', () => {
  it('names a provisioned board, its token as the registry knows it and its firmware; says a blank one is blank', async () => {
    const app = await bench.startApp(seedSite, {
      stationBoards: [{ mac: '24:0a:c4:00:07:01' }, { mac: '24:0a:c4:00:07:02' }],
    })
    const [provisioned, blank] = app.stationBoards
    const { entry } = await importFirmware(app.store, bench.catalog, {
      path: await buildBaseFirmware(),
      boardId: 'esp32-devkitc',
    })
    await addDevice(app.store, bench.catalog, { uid: 'pump-0042', boardId: 'esp32-devkitc' })
    const written = await provisionBoard(
      { store: app.store, catalog: bench.catalog },
      { uid: 'pump-0042', port: { path: provisioned!.clientPath } },
      () => undefined,
      undefined,
      wiredAccess(() => app.stationBoards).flashDependencies,
    )
    expect(written.ok, JSON.stringify(written)).toBe(true)
    const fingerprint = (await app.store.device('pump-0042'))!.tokens.at(-1)!.fingerprint

    const { page } = app
    await page.getByRole('button', { name: 'Serial console' }).click()
    await page.getByLabel('Port').selectOption(provisioned!.clientPath)
    await page.getByRole('button', { name: 'Identify board' }).click()
    // The result takes the focus, its headline read first.
    await waitForFocusReading(page, 'pump-0042 carries its current token', 30_000)
    const panel = page.locator(':focus')
    for (const text of ['24:0a:c4:00:07:01', fingerprint, entry.name, 'nothing was written']) {
      await visible(panel.getByText(text, { exact: false }))
    }
    expect(await page.content()).not.toContain(TOKEN_PREFIX)
    await capture(page, '33-identify-provisioned')

    await page.getByLabel('Port').selectOption(blank!.clientPath)
    await page.getByRole('button', { name: 'Identify board' }).click()
    await waitForFocusReading(page, 'No partition table', 30_000)
    // Identifying wrote nothing: the provisioned board still carries its device, and the blank
    // one can still be opened as a console.
    expect((await app.store.device('pump-0042'))!.flashes).toHaveLength(1)
    await page.getByRole('button', { name: 'Open console' }).click()
    await visible(page.getByText(/^Listening on /))
    expect(app.pageErrors).toEqual([])
  }, 120_000)
})
