import { open, readFile } from 'node:fs/promises'
import { SerialPort } from 'serialport'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { addDevice } from '../../main/devices/devices'
import { OPERATIONS, operationChannel } from '../../main/ipc/api-contract'
import { createApi, type Dialogs } from '../../main/ipc/handlers'
import { REQUEST_SCHEMAS } from '../../main/ipc/schemas'
import { formatBootstrapBanner } from '../../main/verification/bootstrap-banner'
import { regenerateToken } from '../../main/credentials/tokens'
import { saveSiteProfile } from '../../main/site/site-profile'
import { downloadTemplate } from '../../main/template/download-template'
import { freshStore, loadCatalog, SAMPLE_SITE, tempDir } from '../helpers/fixtures'
import { startPtyEmulator, startPtyPair } from '../../devkit/pty'
import { espImage, FIELDFLASH_4MB, partitionTable, writeFiles } from '../../devkit/firmware-images'
import { importFirmware } from '../../main/firmware-library/firmware-library'
import { until } from '../helpers/wait'
import { seedDevices } from '../../devkit/seed-registry'
import { BenchBoard, benchAccess } from '../renderer/harness/bench-board'
import { buildBaseFirmware, buildFirmwareFromZip } from '../renderer/harness/test-firmware'

async function setup(options: { site?: boolean; dialogs?: Partial<Dialogs> } = {}) {
  const { store, dataDir } = await freshStore(options.site ?? true)
  const catalog = await loadCatalog()
  const events: unknown[] = []
  const opened: string[] = []
  const api = createApi(
    {
      store,
      catalog,
      version: 'test',
      dialogs: {
        chooseTemplateFolder: async (uid) => {
          opened.push(uid)
          return join(dataDir, 'zips')
        },
        chooseFirmware: async () => null,
        chooseExportFile: async () => null,
        chooseResultsFile: async () => null,
        ...options.dialogs,
      },
      listPorts: async () => [],
      log: () => undefined,
    },
    (name, payload) => events.push({ name, payload }),
  )
  return { api: api.handlers, dispose: api.dispose, store, catalog, dataDir, events, opened }
}

describe('the IPC contract', () => {
  it('gives every operation a channel and a request schema', async () => {
    for (const name of OPERATIONS) {
      expect(operationChannel(name)).toBe(`fieldflash:op:${name}`)
      expect(REQUEST_SCHEMAS[name]).toBeDefined()
    }
    expect(Object.keys(REQUEST_SCHEMAS).sort()).toEqual([...OPERATIONS].sort())
  })
})

describe('createApi', () => {
  it('answers a malformed payload with invalid_input naming the field, never a throw', async () => {
    const { api } = await setup()
    expect(await api.getDevice({ uid: 5 })).toMatchObject({
      ok: false,
      code: 'invalid_input',
      field: 'uid',
    })
    expect(await api.getDevice({ uid: 'pump-0001', extra: true })).toMatchObject({
      ok: false,
      code: 'invalid_input',
      message: expect.stringContaining('unexpected fields (extra)'),
    })
    expect(await api.listBoards({ sneaky: 1 })).toMatchObject({ ok: false, code: 'invalid_input' })
    expect(await api.startFlash({ jobId: '../../etc', uid: 'x' })).toMatchObject({
      ok: false,
      code: 'invalid_input',
    })
  })

  it('reports each site field against main’s own rules, one problem per field', async () => {
    const { api } = await setup({ site: false })
    const result = await api.checkSiteProfile({
      platformKey: 'pk_1',
      apiHost: 'https://api.example.com',
      mqttHost: 'mqtt.example.com',
      mqttPort: '70000',
      otaBaseUrl: '',
    })
    expect(result.ok && result.value).toEqual({
      apiHost: expect.stringContaining('must be a DNS name'),
      mqttPort: 'must be a whole number from 1 to 65535',
      otaBaseUrl: 'is required',
    })
    const fine = await api.checkSiteProfile({ ...SAMPLE_SITE, tokenLifetimeHours: '' })
    expect(fine).toEqual({ ok: true, value: {} })
  })

  it('asks for the site profile before opening the "save ZIP to…" dialog', async () => {
    const { api, store, catalog, opened } = await setup({ site: false })
    await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    expect(await api.downloadTemplate({ uid: 'pump-0001' })).toMatchObject({
      ok: false,
      code: 'site_not_configured',
    })
    expect(opened).toEqual([])
  })

  it('mints nothing when the technician cancels the dialog', async () => {
    const { api, store, catalog } = await setup({
      dialogs: { chooseTemplateFolder: async () => null },
    })
    await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    expect(await api.downloadTemplate({ uid: 'pump-0001' })).toEqual({ ok: true, value: null })
    expect((await store.device('pump-0001'))!.tokens).toEqual([])
  })

  it('shows a regenerated token once; the device view never carries it', async () => {
    const { api, store, catalog } = await setup()
    await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    const minted = await api.regenerateToken({ uid: 'pump-0001' })
    if (!minted.ok) throw new Error(minted.message)
    expect(minted.value.token).toMatch(/^ffpt_/)
    expect(minted.value.warning).toMatch(/device_config\.h/)
    const details = await api.getDevice({ uid: 'pump-0001' })
    expect(JSON.stringify(details)).not.toContain(minted.value.token)
    expect(details.ok && details.value.audit.map((e) => e.type)).toContain('token.minted')
  })

  it('refuses to flash a firmware with a superseded token unless the technician accepted it', async () => {
    let picked: string | null = null
    const { api, store, catalog, dataDir } = await setup({
      dialogs: { chooseFirmware: async () => picked },
    })
    await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    await saveSiteProfile(store, SAMPLE_SITE)
    const zip = await downloadTemplate(store, catalog, { uid: 'pump-0001', outDir: dataDir })
    picked = await buildFirmwareFromZip(zip.zipPath)
    const chosen = await api.chooseFirmware({ pick: 'folder' })
    expect(chosen).toMatchObject({ ok: true, value: { path: picked } })
    const firmware = chosen.ok ? chosen.value!.handle : ''
    const current = await api.checkFirmware({ uid: 'pump-0001', firmware })
    expect(current.ok && current.value.token.status).toBe('current')
    await api.regenerateToken({ uid: 'pump-0001' })
    const stale = await api.checkFirmware({ uid: 'pump-0001', firmware })
    expect(stale.ok && stale.value.token).toMatchObject({
      status: 'stale',
      fingerprint: zip.token.fingerprint,
      tokenState: 'superseded',
    })
    const refused = await api.startFlash({
      jobId: 'job-00000001',
      uid: 'pump-0001',
      portPath: '/dev/null-port',
      firmware,
    })
    expect(refused).toMatchObject({ ok: false, code: 'invalid_state' })
  }, 30_000)

  it('reads only firmware picked in its own dialog: a path or an unknown handle is refused', async () => {
    const { api, store, catalog } = await setup()
    await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    expect(await api.checkFirmware({ uid: 'pump-0001', firmware: '/etc/passwd' })).toMatchObject({
      ok: false,
      code: 'invalid_input',
      field: 'firmware',
    })
    expect(
      await api.checkFirmware({ uid: 'pump-0001', firmware: 'fw-0123456789abcdef' }),
    ).toMatchObject({
      ok: false,
      code: 'invalid_input',
      message: expect.stringMatching(/choose the firmware again/),
    })
  })

  it('cancels a flash job that already ended without complaint', async () => {
    const { api } = await setup()
    expect(await api.cancelFlash({ jobId: 'job-00000002' })).toEqual({ ok: true, value: null })
  })

  it('says which port is missing when the console cannot open it', async () => {
    const { api, dataDir } = await setup()
    const result = await api.openMonitor({
      sessionId: 'session-0001',
      portPath: join(dataDir, 'ttyUSB9'),
    })
    expect(result).toMatchObject({ ok: false, code: 'port_not_found' })
  })
})

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe("the app's console", () => {
  it('judges banners by the same rules as the CLI: a wrong board is recorded on its own device, a ROM reset starts a new boot', async () => {
    const { api, dispose, store, catalog, events } = await setup()
    cleanups.push(dispose)
    await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    await addDevice(store, catalog, { uid: 'pump-0002', boardId: 'esp32-devkitc' })
    const expected = (await regenerateToken(store, 'pump-0001')).view
    const other = (await regenerateToken(store, 'pump-0002')).view
    const pair = await startPtyPair(await tempDir())
    cleanups.push(pair.stop)
    const board = await open(pair.b, 'w')
    cleanups.push(() => board.close())
    const print = (text: string) => board.write(text + '\r\n')
    const banner = (uid: string, fingerprint: string, code: string) =>
      formatBootstrapBanner({ uid, fingerprint, code, mac: '24:0a:c4:12:34:56', firmware: '1.0' })
    const monitorEvents = () =>
      events.flatMap((e) => {
        const { name, payload } = e as { name: string; payload: { type: string } }
        return name === 'monitor' && payload.type !== 'lines' && payload.type !== 'state'
          ? [payload as { type: string; verification?: { verdict: { classification: string } } }]
          : []
      })

    expect(
      await api.openMonitor({ sessionId: 'session-0001', portPath: pair.a, uid: 'pump-0001' }),
    ).toMatchObject({ ok: true })
    await print(banner('pump-0002', other.fingerprint, other.expectedCode))
    await until(() => monitorEvents().length === 1)
    expect(monitorEvents()[0]!.verification!.verdict.classification).toBe('wrong_device')
    // Seen is recorded, as `fieldflash verify --device pump-0001` records it.
    expect((await store.device('pump-0002'))!.operations).toHaveLength(1)

    // A board printing ever-new fingerprints: three records per boot, one notice, then a reset.
    for (let i = 0; i < 4; i++) {
      await print(banner('pump-0001', i.toString(16).padStart(8, '0'), expected.expectedCode))
    }
    await until(() => monitorEvents().filter((e) => e.type === 'verification').length === 5)
    expect((await store.device('pump-0001'))!.operations).toHaveLength(3)
    expect(monitorEvents().filter((e) => e.type === 'notice')).toHaveLength(1)
    await print('rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)')
    await print(banner('pump-0001', expected.fingerprint, expected.expectedCode))
    await until(() => monitorEvents().filter((e) => e.type === 'verification').length === 6)
    expect(monitorEvents().at(-1)!.verification!.verdict.classification).toBe('verified')
    expect((await store.device('pump-0001'))!.operations).toHaveLength(4)
  })
})

describe("the app's provisioning", () => {
  /** A device with a working token and its board's base firmware in the library. */
  async function provisionSetup() {
    const ctx = await setup()
    cleanups.push(ctx.dispose)
    await addDevice(ctx.store, ctx.catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    const working = (await regenerateToken(ctx.store, 'pump-0001')).view
    const build = join(await tempDir(), 'generic')
    await writeFiles(build, {
      'bootloader.bin': espImage({ chipId: 0, segments: [4096] }),
      'partitions.bin': partitionTable(FIELDFLASH_4MB),
      'firmware.bin': espImage({ chipId: 0, segments: [48 * 1024] }),
    })
    const { entry } = await importFirmware(ctx.store, ctx.catalog, {
      path: build,
      boardId: 'esp32-devkitc',
    })
    /** Provisions on `portPath` as the Flash step does; answers the job's outcome. */
    const provision = async (portPath: string) => {
      const jobId = `job-${Math.random().toString(16).slice(2, 10)}`
      const started = await ctx.api.startProvision({
        jobId,
        uid: 'pump-0001',
        portPath,
        firmwareId: entry.sha256,
      })
      expect(started).toMatchObject({ ok: true })
      const done = () =>
        ctx.events
          .map(
            (e) => (e as { payload: { jobId: string; type: string; outcome?: unknown } }).payload,
          )
          .find((p) => p.jobId === jobId && p.type === 'done')
      await until(() => done() !== undefined)
      return done()!.outcome as { ok: boolean; code: string; message: string }
    }
    return { ...ctx, working, provision }
  }

  it('keeps the working token when the port is not there, and says so', async () => {
    const { store, working, provision } = await provisionSetup()
    const outcome = await provision('/dev/ttyNOPE')
    expect(outcome).toMatchObject({ ok: false, code: 'port_not_found' })
    expect(outcome.message).toContain(
      `pump-0001's token ${working.fingerprint} (issued) is unchanged`,
    )
    expect((await store.device('pump-0001'))!.tokens.map((t) => [t.fingerprint, t.state])).toEqual([
      [working.fingerprint, 'issued'],
    ])
  })

  it.each([
    ['another chip', { chip: 'ESP32-C3' as const }],
    [
      'a link lost while the app is written',
      {
        chip: 'ESP32' as const,
        faults: { unplugWhileWriting: { offset: 0x10000, afterBytes: 0x4000 } },
      },
    ],
  ])(
    'keeps the working token on %s, and says so',
    async (_, board) => {
      const { store, working, provision } = await provisionSetup()
      const emulator = await startPtyEmulator(board)
      cleanups.push(emulator.stop)
      const outcome = await provision(emulator.clientPath)
      expect(outcome.ok).toBe(false)
      expect(outcome.message).toContain(
        `Nothing was written to the board's config partition, so pump-0001's token ${working.fingerprint} (issued) is unchanged.`,
      )
      expect((await store.device('pump-0001'))!.tokens.map((t) => t.state)).toEqual(['issued'])
    },
    60_000,
  )

  it('keeps the working token when another program holds the port', async () => {
    const { store, working, provision } = await provisionSetup()
    const emulator = await startPtyEmulator({ chip: 'ESP32' })
    cleanups.push(emulator.stop)
    const holder = new SerialPort({ path: emulator.clientPath, baudRate: 115200, autoOpen: false })
    await new Promise<void>((resolve, reject) => holder.open((e) => (e ? reject(e) : resolve())))
    cleanups.push(() => new Promise<void>((resolve) => holder.close(() => resolve())))
    const outcome = await provision(emulator.clientPath)
    expect(outcome).toMatchObject({ ok: false, code: 'port_busy' })
    expect(outcome.message).toContain(`token ${working.fingerprint} (issued) is unchanged`)
    expect((await store.device('pump-0001'))!.tokens.map((t) => t.state)).toEqual(['issued'])
  })

  it.each([
    [
      'while its config partition is written',
      { unplugWhileWriting: { offset: 0x3ed000, afterBytes: 0x1000 } },
    ],
    [
      'after its config partition was written, while it is verified',
      { unplugOn: { command: 'SPI_FLASH_MD5' as const, offset: 0x3ed000, occurrence: 2 } },
    ],
  ])(
    'says the token changed when the board is lost %s',
    async (_, faults) => {
      const { store, working, provision } = await provisionSetup()
      const board = await startPtyEmulator({ chip: 'ESP32', faults })
      cleanups.push(board.stop)
      const outcome = await provision(board.clientPath)
      const [old, current] = (await store.device('pump-0001'))!.tokens
      expect(old).toMatchObject({ fingerprint: working.fingerprint, state: 'superseded' })
      expect(outcome).toMatchObject({ ok: false, code: 'device_lost' })
      expect(outcome.message).toContain(`pump-0001's token changed to ${current!.fingerprint}`)
      expect(outcome.message).toMatch(/provision it again/)
    },
    60_000,
  )
})

describe("the app's console after a provisioning, a board whose USB port re-enumerates", () => {
  it('opens on the port the board came back as, and judges its banner', async () => {
    const { store, dataDir } = await freshStore(true)
    const catalog = await loadCatalog()
    await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
    const { entry } = await importFirmware(store, catalog, {
      path: await buildBaseFirmware(),
      boardId: 'esp32-devkitc',
    })
    const usb = { serialNumber: '240AC4123456', location: 'usb 1-1.2' }
    const bench = await BenchBoard.start({ usb })
    cleanups.push(() => bench.stop())
    const access = benchAccess(bench)
    const events: { name: string; payload: { jobId?: string; type: string } }[] = []
    const api = createApi(
      {
        store,
        catalog,
        version: 'test',
        dialogs: {
          chooseTemplateFolder: async () => join(dataDir, 'zips'),
          chooseFirmware: async () => null,
          chooseExportFile: async () => null,
          chooseResultsFile: async () => null,
        },
        listPorts: access.listPorts,
        flashDependencies: access.flashDependencies,
        monitorOptions: access.monitorOptions,
        log: () => undefined,
      },
      (name, payload) => events.push({ name, payload: payload as never }),
    )
    cleanups.push(api.dispose)
    const written = bench.clientPath
    const started = await api.handlers.startProvision({
      jobId: 'job-0001',
      uid: 'pump-0001',
      portPath: written,
      firmwareId: entry.sha256,
    })
    expect(started).toMatchObject({ ok: true })
    await until(() =>
      events.some((e) => e.payload.jobId === 'job-0001' && e.payload.type === 'done'),
    )
    await until(() => bench.clientPath !== written)

    // The Verify step opens the console on the port it flashed: main finds the board again.
    const opened = await api.handlers.openMonitor({
      sessionId: 'session-0001',
      portPath: written,
      uid: 'pump-0001',
    })
    expect(opened).toMatchObject({ ok: true, value: { path: bench.clientPath } })
    await until(async () => (await store.device('pump-0001'))!.operations.length === 1)
    expect((await store.device('pump-0001'))!.operations[0]).toMatchObject({
      port: bench.clientPath,
    })
  }, 120_000)
})

describe('registration and export through the IPC', () => {
  it('refuses a registration request that names both a console and a port, or neither', async () => {
    const { api } = await setup()
    const both = await api.registerBoard({
      uid: 'pump-0001',
      sessionId: 'session-0001',
      portPath: '/dev/ttyUSB0',
    })
    expect(both).toMatchObject({ ok: false, code: 'invalid_input' })
    expect(await api.registerBoard({ uid: 'pump-0001' })).toMatchObject({
      ok: false,
      code: 'invalid_input',
    })
  })

  it('says so when the console to register over is not open, and when nothing was approved', async () => {
    const { api, store, catalog } = await setup()
    await seedDevices(store, catalog, { uids: ['pump-0001'], stage: 'approved' })
    await seedDevices(store, catalog, { uids: ['pump-0002'], stage: 'minted' })
    expect(await api.registerBoard({ uid: 'pump-0001', sessionId: 'session-0001' })).toMatchObject({
      ok: false,
      code: 'not_found',
      message: expect.stringContaining('console is not open'),
    })
    expect(await api.registerBoard({ uid: 'pump-0002', portPath: '/dev/ttyNOPE9' })).toMatchObject({
      ok: false,
      code: 'invalid_state',
      message: expect.stringContaining('has no approved board to register'),
    })
  })

  it('answers an ESP8266 with its catalog reason, not a failed attempt', async () => {
    const { api, store, catalog } = await setup()
    await seedDevices(store, catalog, {
      uids: ['node-0001'],
      stage: 'approved',
      boardId: 'esp8266-nodemcuv2',
    })
    const result = await api.registerBoard({ uid: 'node-0001', portPath: '/dev/ttyNOPE9' })
    expect(result).toMatchObject({
      ok: true,
      value: {
        outcome: {
          ok: false,
          reason: 'unsupported',
          message: expect.stringContaining('cannot be registered offline'),
        },
      },
    })
    expect((await store.device('node-0001'))!.registrations).toEqual([])
  })

  it('revokes a registration and answers the device as it is now', async () => {
    const { api, store, catalog } = await setup()
    await seedDevices(store, catalog, { uids: ['pump-0001'], stage: 'registered' })
    const result = await api.revokeRegistration({ uid: 'pump-0001' })
    expect(result).toMatchObject({
      ok: true,
      value: { device: { registration: { status: 'revoked' } } },
    })
  })

  it('writes the export where main’s dialog says, all of it or what changed since the last', async () => {
    const out = join(await tempDir(), 'site.jsonl')
    let answer: string | null = null
    const { api, store, catalog } = await setup({
      dialogs: { chooseExportFile: async () => answer },
    })
    await seedDevices(store, catalog, { uids: ['pump-0001', 'pump-0002'], stage: 'registered' })
    // Nothing exported yet: "changes only" has nothing to continue from.
    expect(await api.exportForPlatform({ changesOnly: true })).toMatchObject({
      ok: false,
      code: 'invalid_input',
      field: 'changesOnly',
    })
    expect(await api.exportForPlatform({ changesOnly: false })).toEqual({ ok: true, value: null })
    answer = out
    const full = await api.exportForPlatform({ changesOnly: false })
    expect(full).toMatchObject({ ok: true, value: { path: out, devices: 2 } })
    const state = await api.getExportState(undefined)
    expect(state).toMatchObject({
      ok: true,
      value: { last: { path: out }, publicKeyPem: expect.stringContaining('PUBLIC KEY') },
    })

    await api.revokeRegistration({ uid: 'pump-0002' })
    const changes = await api.exportForPlatform({ changesOnly: true })
    expect(changes).toMatchObject({ ok: true, value: { devices: 1 } })
    expect(await readFile(out, 'utf8')).toContain('"uid":"pump-0002"')
  })
})
