import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { readAuditLog } from '../../main/audit/audit-log'
import { addDevice } from '../../main/devices/devices'
import { saveSiteProfile } from '../../main/site/site-profile'
import { FieldFlashStore } from '../../main/store/store'
import { downloadTemplate, type TemplateDownload } from '../../main/template/download-template'
import {
  verifyOnPort,
  type BootstrapEvent,
  type VerifyOutcome,
} from '../../main/verification/verification-session'
import { loadCatalog, SAMPLE_SITE } from '../helpers/fixtures'
import { MAC_A, MAC_B, recordFlash } from '../verification/helpers'
import { buildBoardFromZip, runOnPty, type ZipBoard } from '../verification/zip-board'

/**
 * The whole chain with the firmware's own code: a template ZIP is downloaded, its bootstrap module
 * is compiled together with its device_config.h for the host, runs as the "board" behind a pty,
 * and the serial monitor verifies what it prints.
 */

let store: FieldFlashStore
let dataDir: string
const boards: Record<'stale' | 'current' | 'otherDevice' | 'otherInstall', ZipBoard> = {} as never
const zips: Record<string, TemplateDownload> = {}
const stops: Array<() => Promise<void>> = []

beforeAll(async () => {
  const catalog = await loadCatalog()
  // Not tempDir(): that one is removed after each test, and this folder serves the whole file.
  dataDir = await mkdtemp(join(tmpdir(), 'fieldflash-e2e-'))
  const outDir = join(dataDir, 'zips')
  store = await FieldFlashStore.open(dataDir)
  await saveSiteProfile(store, SAMPLE_SITE)
  await addDevice(store, catalog, { uid: 'pump-0001', boardId: 'esp32-devkitc' })
  await addDevice(store, catalog, { uid: 'tank-0002', boardId: 'esp32-c3-devkitm-1' })
  zips.stale = await downloadTemplate(store, catalog, {
    uid: 'pump-0001',
    outDir: join(outDir, 'first'),
  })
  // A developer's copy of the first ZIP: FieldFlash removes only the file it wrote when the next
  // download supersedes its token.
  await mkdir(join(outDir, 'kept'), { recursive: true })
  await copyFile(zips.stale.zipPath, join(outDir, 'kept', 'pump-0001.zip'))
  zips.stale = { ...zips.stale, zipPath: join(outDir, 'kept', 'pump-0001.zip') }
  zips.current = await downloadTemplate(store, catalog, { uid: 'pump-0001', outDir })
  zips.otherDevice = await downloadTemplate(store, catalog, { uid: 'tank-0002', outDir })
  // Another FieldFlash installation (another data folder) with its own device.
  const otherStore = await FieldFlashStore.open(join(dataDir, 'elsewhere'))
  await saveSiteProfile(otherStore, SAMPLE_SITE)
  await addDevice(otherStore, catalog, { uid: 'kiosk-0003', boardId: 'esp32-devkitc' })
  zips.otherInstall = await downloadTemplate(otherStore, catalog, { uid: 'kiosk-0003', outDir })

  const built = await Promise.all(
    (['stale', 'current', 'otherDevice', 'otherInstall'] as const).map(
      async (key) => [key, await buildBoardFromZip(zips[key]!.zipPath)] as const,
    ),
  )
  for (const [key, board] of built) boards[key] = board
}, 60_000)

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
})

afterAll(async () => {
  await Promise.all(Object.values(boards).map((b) => b?.remove()))
  await rm(dataDir, { recursive: true, force: true })
})

/** Runs a built firmware as a board on a fresh pty and verifies it through the monitor. */
async function verifyBoard(
  board: ZipBoard,
  mac: string,
  options: { expectedUid?: string; approve?: boolean; approver?: string } = {},
): Promise<{ outcome: VerifyOutcome; events: BootstrapEvent[] }> {
  const pty = await runOnPty(board, mac)
  stops.push(pty.stop)
  const events: BootstrapEvent[] = []
  const outcome = await verifyOnPort({
    store,
    path: pty.path,
    timeoutMs: 10_000,
    onEvent: (e) => events.push(e),
    ...options,
  })
  return { outcome, events }
}

function verdictOf(outcome: VerifyOutcome) {
  if (outcome.kind !== 'banner')
    throw new Error(`expected a banner, got ${JSON.stringify(outcome)}`)
  return outcome.verdict
}

describe('bootstrap verification with the firmware built from the template ZIP', () => {
  it('names firmware built from a superseded template as stale', async () => {
    const { outcome } = await verifyBoard(boards.stale, MAC_A, { expectedUid: 'pump-0001' })
    expect(verdictOf(outcome)).toMatchObject({
      classification: 'stale',
      uid: 'pump-0001',
      fingerprint: zips.stale!.token.fingerprint,
      seenCode: zips.stale!.token.expectedCode,
    })
    expect(verdictOf(outcome).message).toContain('superseded on')
  })

  it("names another device's ZIP: the wrong device when one was expected, unknown when it is not ours", async () => {
    const wrong = await verifyBoard(boards.otherDevice, MAC_A, { expectedUid: 'pump-0001' })
    expect(verdictOf(wrong.outcome)).toMatchObject({
      classification: 'wrong_device',
      uid: 'tank-0002',
    })
    const foreign = await verifyBoard(boards.otherInstall, MAC_A)
    expect(verdictOf(foreign.outcome)).toMatchObject({
      classification: 'unknown_device',
      uid: 'kiosk-0003',
    })
  })

  it('names a token reused on a second board (another MAC) and refuses to approve it', async () => {
    await recordFlash(store, 'pump-0001', MAC_A) // as the flashing step records the board it wrote
    const { outcome } = await verifyBoard(boards.current, MAC_B, {
      expectedUid: 'pump-0001',
      approve: true,
      approver: 'Alice',
    })
    expect(verdictOf(outcome)).toMatchObject({
      classification: 'another_board',
      mac: MAC_B,
      recordedMac: MAC_A,
    })
    expect(outcome.kind === 'banner' && outcome.approval).toBeNull()
    expect((await store.device('pump-0001'))!.approvedAt).toBeNull()
  })

  it('verifies the current firmware on the flashed board, approves it once, and then reports it as already approved', async () => {
    const { outcome, events } = await verifyBoard(boards.current, MAC_A, {
      expectedUid: 'pump-0001',
      approve: true,
      approver: 'Alice',
    })
    expect(verdictOf(outcome)).toMatchObject({
      classification: 'verified',
      seenCode: zips.current!.token.expectedCode,
      expectedCode: zips.current!.token.expectedCode,
      mac: MAC_A,
    })
    expect(events[0]).toMatchObject({ kind: 'banner', newOperation: true })
    expect(outcome.kind === 'banner' && outcome.approval?.operation).toMatchObject({
      state: 'approved',
      approver: 'Alice',
    })
    const device = (await store.device('pump-0001'))!
    expect(device.approvedAt).not.toBeNull()
    expect(device.tokens.at(-1)).toMatchObject({ state: 'consumed' })

    const again = await verifyBoard(boards.current, MAC_A, {
      expectedUid: 'pump-0001',
      approve: true,
      approver: 'Bob',
    })
    expect(verdictOf(again.outcome)).toMatchObject({
      classification: 'consumed',
      headline: 'Already approved',
    })
    expect(again.outcome.kind === 'banner' && again.outcome.approval).toBeNull()

    const log = { entries: await readAuditLog(store, { uid: 'pump-0001' }) }
    expect(log.entries.filter((e) => e.type === 'operation.approved')).toHaveLength(1)
  })
})
