import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { importFirmware } from '../../main/firmware-library/firmware-library'
import {
  capture,
  enterTechnicianName,
  seedSite,
  TECHNICIAN,
  useAppBench,
  visible,
} from './harness/app-under-test'
import { buildBaseFirmware } from './harness/test-firmware'

// The Station screen in Chromium, driving the real station in main: three wired bench boards
// (the ROM-loader emulator, then the base firmware's own C code), one unplugged mid-flash.

const bench = useAppBench()

describe('the Station screen', () => {
  it('runs boards at once, a tile per port, one failing alone; the lot locked while it runs; results exported', async () => {
    const app = await bench.startApp(seedSite, {
      stationBoards: [
        { mac: '24:0a:c4:00:05:01' },
        { mac: '24:0a:c4:00:05:02' },
        { mac: '24:0a:c4:00:05:03', faults: { unplugAfterBytesReceived: 20_000 } },
      ],
    })
    const build = await buildBaseFirmware()
    await importFirmware(app.store, bench.catalog, { path: build, boardId: 'esp32-devkitc' })
    const { page } = app
    await enterTechnicianName(page)
    await page.getByRole('button', { name: 'Station' }).click()
    await visible(page.getByRole('heading', { name: 'Station' }))
    await page.getByLabel('Device names').fill('well-{seq:03}')
    await page.getByRole('radio', { name: 'Only these ports' }).check()
    for (const board of app.stationBoards) {
      await page
        .getByRole('checkbox', { name: new RegExp(board.clientPath.replace(/[/.]/g, '\\$&')) })
        .check()
    }
    expect(await page.getByLabel('Approved by').inputValue()).toBe(TECHNICIAN)
    await page.getByRole('button', { name: 'Start the station' }).click()

    // Running: the lot's settings are locked, each port has its tile.
    await visible(page.getByText(/^Running:/))
    expect(await page.getByLabel('Device names').isDisabled()).toBe(true)
    const tiles = page.getByRole('list', { name: 'Boards' }).getByRole('listitem')
    await visible(tiles.nth(2))
    await capture(page, '30-station-running')

    // Two registered, one failed when its cable was pulled; then stop taking boards.
    await visible(page.getByText('Failed', { exact: true }), 60_000)
    await visible(page.locator('.station-tile.tone-success').nth(1), 60_000)
    await capture(page, '31-station-one-failed')
    await page.getByRole('button', { name: 'Stop taking boards' }).click()
    await visible(page.getByText(/^Ended: 2 done, 1 failed, 0 skipped/), 30_000)
    expect(await page.getByLabel('Device names').isDisabled()).toBe(false)
    await capture(page, '32-station-finished')

    const done = (
      await Promise.all(['well-001', 'well-002', 'well-003'].map((uid) => app.store.device(uid)))
    ).filter((d) => d?.registrations.some((r) => r.state === 'active'))
    expect(done).toHaveLength(2)
    for (const device of done) {
      expect(device!.operations[0]).toMatchObject({ state: 'approved', approver: TECHNICIAN })
    }

    await page.getByRole('button', { name: 'Export results (CSV)…' }).click()
    await visible(page.getByText('Results saved'))
    const csv = await readFile(app.dialogs.resultsFile!, 'utf8')
    expect(csv.split('\n')[0]).toMatch(
      /^time,port,slot,device,mac,chip,token_fingerprint,code,outcome/,
    )
    expect(csv.match(/,done,registered,/g)).toHaveLength(2)
    expect(csv).toMatch(/,failed,\w+,device_lost,/)
    expect(app.pageErrors).toEqual([])
  }, 180_000)
})
