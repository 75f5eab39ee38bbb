import { afterEach, describe, expect, it } from 'vitest'
import { startPtyEmulator, type PtyEmulator } from '../../devkit/pty'
import { wiredAccess } from '../../devkit/wired-access'
import { FieldFlashStore } from '../../main/store/store'
import { openLot, type Lot } from '../../main/station/lot'
import { leaseDevice } from '../../main/leases/device-lease'
import { Station, type BoardStatus, type StationEvent } from '../../main/station/station'
import { siteWithBaseFirmware, siteWithHostFirmware } from '../helpers/base-firmware-site'
import { loadCatalog } from '../helpers/fixtures'
import { until } from '../helpers/wait'
import { BenchBoard } from '../renderer/harness/bench-board'

// The station's own controls: it watches for boards being plugged in (ports: auto), stops taking
// new ones when asked while those in flight finish, and aborts those in flight, each ending
// recorded.

const boards: PtyEmulator[] = []
afterEach(async () => {
  for (const board of boards.splice(0)) await board.stop()
})

async function slowBoard(mac: string): Promise<PtyEmulator> {
  const board = await startPtyEmulator({
    chip: 'ESP32',
    mac,
    wired: true,
    faults: { responseDelayByCommand: { FLASH_DEFL_DATA: 30 } },
  })
  boards.push(board)
  return board
}

async function stationFor(events: StationEvent[]) {
  const dataDir = await siteWithBaseFirmware([])
  const store = await FieldFlashStore.open(dataDir)
  const catalog = await loadCatalog()
  const firmware = (await store.read(async (tx) => tx.firmware()))[0]!
  const station = new Station(
    { store, catalog },
    {
      firmware: firmware.sha256.slice(0, 12),
      lot: await openLot(store, catalog, 'unit-{seq:03}', 'esp32-devkitc'),
      ports: 'auto',
      until: 'flashed',
    },
    {
      // The boards plugged in so far, as the system's port list would show them.
      listPorts: async () =>
        boards.map((b) => ({
          path: b.clientPath,
          manufacturer: null,
          serialNumber: null,
          vid: null,
          pid: null,
          bridge: null,
          nativeUsb: false,
          boardIds: [],
          location: null,
        })),
      access: wiredAccess(() => boards),
      pollMs: 50,
    },
    (event) => events.push(event),
  )
  return { station, store }
}

const phaseOf = (events: StationEvent[], port: string): BoardStatus['phase'] | undefined =>
  events
    .filter((e) => e.type === 'board' && e.board.port === port)
    .map((e) => (e as { board: BoardStatus }).board.phase)
    .at(-1)

describe('Station', () => {
  it('starts each board as it is plugged in; once stopped it takes no new board and lets the one in flight finish', async () => {
    const events: StationEvent[] = []
    const { station, store } = await stationFor(events)
    const running = station.run()
    const first = await slowBoard('24:0a:c4:00:02:01')
    await until(() => phaseOf(events, first.clientPath) === 'writing')

    station.stop()
    const late = await slowBoard('24:0a:c4:00:02:02')
    const totals = await running
    expect(totals).toMatchObject({ done: 1, failed: 0, skipped: 0 })
    expect(phaseOf(events, first.clientPath)).toBe('done')
    expect(phaseOf(events, late.clientPath)).toBeUndefined()
    expect(late.emulator.commandCount('SYNC')).toBe(0)
    expect((await store.device('unit-001'))!.flashes).toHaveLength(1)
    await store.close()
  }, 120_000)

  it('aborts the boards in flight: each ends failed as cancelled, its device token unchanged', async () => {
    const events: StationEvent[] = []
    const { station, store } = await stationFor(events)
    const running = station.run()
    const one = await slowBoard('24:0a:c4:00:03:01')
    const two = await slowBoard('24:0a:c4:00:03:02')
    await until(() => [one, two].every((b) => phaseOf(events, b.clientPath) === 'writing'))

    station.abort()
    const totals = await running
    expect(totals).toMatchObject({ done: 0, failed: 2 })
    const ends = events.filter((e) => e.type === 'board' && e.board.phase === 'failed') as {
      board: BoardStatus
    }[]
    expect(ends.map((e) => e.board.errorCode)).toEqual(['cancelled', 'cancelled'])
    for (const uid of ['unit-001', 'unit-002']) {
      // Cancelled before its config partition: the device has no token and no flash.
      expect(await store.device(uid)).toMatchObject({ tokens: [], flashes: [] })
    }
    await store.close()
  }, 120_000)
})

describe('a port named that is not there', () => {
  it('is said once, and the station goes on with the ports that are', async () => {
    const dataDir = await siteWithBaseFirmware([])
    const catalog = await loadCatalog()
    const store = await FieldFlashStore.open(dataDir)
    const board = await slowBoard('24:0a:c4:00:06:04')
    const missing = '/dev/fieldflash-no-such-port'
    const events: StationEvent[] = []
    const station = new Station(
      { store, catalog },
      {
        firmware: (await store.read(async (tx) => tx.firmware()))[0]!.sha256.slice(0, 12),
        lot: await openLot(store, catalog, 'unit-{seq:03}', 'esp32-devkitc'),
        ports: [missing, board.clientPath],
        until: 'flashed',
        count: 1,
      },
      { listPorts: async () => [], access: wiredAccess(() => boards), pollMs: 50 },
      (event) => events.push(event),
    )
    expect(await station.run()).toMatchObject({ done: 1, failed: 0 })
    const notices = events.filter((e) => e.type === 'notice')
    expect(notices).toEqual([
      {
        type: 'notice',
        message: `${missing} is not there: the station waits for a board to be plugged in on it.`,
      },
    ])
    await store.close()
  }, 120_000)
})

describe('two stations working one lot', () => {
  it('never give one device to two boards: the one refused the device takes the next', async () => {
    const dataDir = await siteWithBaseFirmware([])
    const catalog = await loadCatalog()
    const one = await slowBoard('24:0a:c4:00:06:01')
    const two = await slowBoard('24:0a:c4:00:06:02')
    // Two stations (two registries open on one data directory, as two processes would have),
    // each with its own board, started together on the same pattern.
    const run = async (board: PtyEmulator) => {
      const store = await FieldFlashStore.open(dataDir)
      const firmware = (await store.read(async (tx) => tx.firmware()))[0]!
      const events: StationEvent[] = []
      const station = new Station(
        { store, catalog },
        {
          firmware: firmware.sha256.slice(0, 12),
          lot: await openLot(store, catalog, 'unit-{seq:03}', 'esp32-devkitc'),
          ports: [board.clientPath],
          until: 'flashed',
          count: 1,
        },
        { listPorts: async () => [], access: wiredAccess(() => boards), pollMs: 50 },
        (event) => events.push(event),
      )
      const totals = await station.run()
      await store.close()
      return { totals, events }
    }
    const [a, b] = await Promise.all([run(one), run(two)])
    expect(a.totals).toMatchObject({ done: 1, failed: 0 })
    expect(b.totals).toMatchObject({ done: 1, failed: 0 })
    const uidOf = (events: StationEvent[]) =>
      (events.filter((e) => e.type === 'board').at(-1) as { board: BoardStatus }).board.uid
    expect([uidOf(a.events), uidOf(b.events)].sort()).toEqual(['unit-001', 'unit-002'])
    const store = await FieldFlashStore.open(dataDir)
    for (const uid of ['unit-001', 'unit-002'])
      expect((await store.device(uid))!.flashes).toHaveLength(1)
    await store.close()
  }, 120_000)
})

describe('a device another station took a moment before', () => {
  it("makes the board take the lot's next device, nothing written to the first", async () => {
    const dataDir = await siteWithBaseFirmware(['unit-001', 'unit-002'])
    const catalog = await loadCatalog()
    const store = await FieldFlashStore.open(dataDir)
    // The lot hands out unit-001, which another station's job holds by the time this board's
    // session asks for it (as when two stations ask the lot at the same moment).
    const other = await leaseDevice(store, {
      uid: 'unit-001',
      port: '/dev/ttyUSB7',
      holder: 'fieldflash station',
    })
    const queue = ['unit-001', 'unit-002']
    const lot: Lot = {
      description: 'two devices',
      next: async () => queue.shift() ?? null,
    }
    const board = await slowBoard('24:0a:c4:00:06:03')
    const events: StationEvent[] = []
    const station = new Station(
      { store, catalog },
      {
        firmware: (await store.read(async (tx) => tx.firmware()))[0]!.sha256.slice(0, 12),
        lot,
        ports: [board.clientPath],
        until: 'flashed',
        count: 1,
      },
      { listPorts: async () => [], access: wiredAccess(() => boards), pollMs: 50 },
      (event) => events.push(event),
    )
    expect(await station.run()).toMatchObject({ done: 1, failed: 0 })
    expect((await store.device('unit-002'))!.flashes).toHaveLength(1)
    expect(await store.device('unit-001')).toMatchObject({ flashes: [], tokens: [] })
    await other.release()
    await store.close()
  }, 120_000)
})

describe('Station, a board whose USB port re-enumerates at its reset (native USB)', () => {
  const benches: BenchBoard[] = []
  afterEach(async () => {
    for (const bench of benches.splice(0)) await bench.stop()
  })

  it('follows it to its new port name, in its slot, and never takes it for a new board', async () => {
    const dataDir = await siteWithHostFirmware()
    const usb = { serialNumber: '240AC4000401', location: 'usb 1-1.3' }
    const bench = await BenchBoard.start({ wired: true, mac: '24:0a:c4:00:04:01', usb })
    benches.push(bench)
    const store = await FieldFlashStore.open(dataDir)
    const catalog = await loadCatalog()
    let listings = 0
    const listPorts = async () => {
      listings++
      return bench.present ? [bench.listed] : []
    }
    const events: StationEvent[] = []
    const station = new Station(
      { store, catalog },
      {
        firmware: (await store.read(async (tx) => tx.firmware()))[0]!.sha256.slice(0, 12),
        lot: await openLot(store, catalog, 'unit-{seq:03}', 'esp32-devkitc'),
        ports: 'auto',
        until: 'verified',
      },
      { listPorts, access: { ...wiredAccess(() => benches), listPorts }, pollMs: 50 },
      (event) => events.push(event),
    )
    const first = bench.clientPath
    const running = station.run()
    await until(() => ['done', 'failed'].includes(phaseOf(events, first) ?? ''))
    const last = events.filter((e) => e.type === 'board').at(-1) as { board: BoardStatus }
    expect(last.board).toMatchObject({ phase: 'done', reached: 'verified', slot: usb.location })

    // It stays plugged in under its new name while the station looks on: nothing new starts.
    const seen = listings
    await until(() => listings > seen + 5)
    station.stop()
    expect(await running).toMatchObject({ done: 1, failed: 0, skipped: 0 })
    expect(bench.clientPath).not.toBe(first)
    expect(events.some((e) => e.type === 'board' && e.board.port !== first)).toBe(false)
    expect((await store.device('unit-001'))!.operations[0]).toMatchObject({
      port: bench.clientPath,
    })
    expect(await store.device('unit-002')).toBeNull()
    await store.close()
  }, 120_000)
})
