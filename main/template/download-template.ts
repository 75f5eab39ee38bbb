import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs'
import { lstat, mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative, resolve, sep } from 'node:path'
import JSZip from 'jszip'
import type { BoardCatalog } from '../boards/catalog'
import { removeOutdatedTemplates } from '../provisioning/outdated-templates'
import { generateTokenString, tokenHash } from '../provisioning/token-format'
import { currentToken, mintToken, requireDevice } from '../provisioning/tokens'
import { requireSiteProfile } from '../site/site-profile'
import { crashPoint } from '../shared/crash-point'
import { FieldFlashError, invalidInput } from '../shared/errors'
import type { FieldFlashStore, StoreWriter, TemplateFileRow } from '../store/store'
import type { DeviceRecord } from '../store/records'
import type { SiteProfile } from '../site/site-profile-types'
import { DEVICE_CONFIG_PATH, renderDeviceConfig } from './device-config'
import type { TemplateDownload } from './template-types'

export type { TemplateDownload }

export interface DownloadTemplateRequest {
  uid: string
  /** Folder the ZIP is written to (created if missing). */
  outDir: string
  now?: Date
}

const inFlight = new Set<string>()

/** Temporary ZIPs this process is writing: removed by `removeLiveTempFiles` on SIGINT/SIGTERM. */
const liveTempFiles = new Set<string>()

/** How often a template is re-rendered when the device or site changed while it was packed. */
const ATTEMPTS = 3

/**
 * "Download template": packs the device's board template with a freshly rendered
 * include/device_config.h into `<outDir>/<uid>.zip` (owner-only) and makes its new one-time token
 * the device's current one. The ZIP is built in memory: the rendered header (token, MQTT password)
 * never touches the disk outside the final ZIP. Either the ZIP at its final path carries the
 * device's current token, or it is not there, whatever process is killed at whatever point:
 *
 * 1. the temporary ZIP is recorded in the registry, then written and flushed;
 * 2. one transaction re-reads device and site, supersedes the old token, issues the new one and
 *    removes any older ZIP at the final path;
 * 3. one transaction moves the temporary ZIP into place only if its token is still current.
 *
 * A run that dies between the steps is finished or cleaned by `reconcileTemplateFiles`.
 */
export async function downloadTemplate(
  store: FieldFlashStore,
  catalog: BoardCatalog,
  request: DownloadTemplateRequest,
): Promise<TemplateDownload> {
  const { uid, outDir } = request
  const now = request.now ?? new Date()
  if (typeof outDir !== 'string' || outDir.length === 0) throw invalidInput('out', 'is required')
  const first = store.read((tx) => ({
    site: requireSiteProfile(tx),
    device: requireDevice(tx, uid),
  }))
  const board = catalog.get(first.device.boardId)
  if (inFlight.has(uid)) {
    throw new FieldFlashError(
      'invalid_state',
      `A template for ${uid} is already being prepared; wait for it to finish.`,
    )
  }
  inFlight.add(uid)
  try {
    const files = await readBoardTemplate(catalog, board.id)
    const finalPath = resolve(outDir, `${uid}.zip`)
    await prepareOutDir(outDir, uid, finalPath)
    let seen = first
    for (let attempt = 1; ; attempt++) {
      const token = generateTokenString()
      const header = renderDeviceConfig({
        deviceUid: uid,
        platformKey: seen.site.platformKey,
        mqttHost: seen.site.mqttHost,
        mqttPort: seen.site.mqttPort,
        mqttUsername: seen.device.mqtt.username,
        mqttPassword: seen.device.mqtt.password,
        otaBaseUrl: seen.site.otaBaseUrl,
        apiHost: seen.site.apiHost,
        provisioningToken: token,
        boardId: board.id,
        tokenFingerprint: tokenHash(token).slice(0, 8),
        generatedAt: now,
      })
      const zip = await packTemplate(files, uid, header, now)
      const outcome = await placeTemplate(store, { uid, finalPath, outDir, token, zip, seen, now })
      if (outcome.kind === 'placed') {
        return {
          zipPath: finalPath,
          uid,
          boardId: board.id,
          token: outcome.view,
          superseded: outcome.superseded,
        }
      }
      if (attempt >= ATTEMPTS) {
        throw new FieldFlashError(
          'invalid_state',
          `Device ${uid} or the site profile kept changing while the template was prepared; nothing was changed. Try again.`,
        )
      }
      seen = outcome.now
    }
  } finally {
    inFlight.delete(uid)
  }
}

type Seen = { site: SiteProfile; device: DeviceRecord }
type Placement =
  | { kind: 'placed'; view: TemplateDownload['token']; superseded: TemplateDownload['superseded'] }
  | { kind: 'changed'; now: Seen }

/** Steps 1–3 of `downloadTemplate` for one rendered ZIP. */
async function placeTemplate(
  store: FieldFlashStore,
  input: {
    uid: string
    finalPath: string
    outDir: string
    token: string
    zip: Buffer
    seen: Seen
    now: Date
  },
): Promise<Placement> {
  const { uid, finalPath, token, zip, seen, now } = input
  const fingerprint = tokenHash(token).slice(0, 8)
  const sha256 = createHash('sha256').update(zip).digest('hex')
  const tempPath = join(
    input.outDir,
    `.${uid}.zip.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  )
  const stamp = (): string => new Date().toISOString()
  const id = store.write((tx) =>
    tx.addTemplateFile({
      finalPath,
      uid,
      fingerprint,
      state: 'pending',
      tempPath,
      sha256,
      pid: process.pid,
      updatedAt: stamp(),
    }),
  )
  liveTempFiles.add(tempPath)
  try {
    crashPoint('template:recorded')
    try {
      await writeOwnerOnly(tempPath, zip)
    } catch (error) {
      throw ioError(input.outDir, error)
    }
    crashPoint('template:written')
    const committed = store.write((tx) => {
      const device = requireDevice(tx, uid)
      const site = requireSiteProfile(tx)
      if (!sameInputs(seen, { site, device })) return { changed: { site, device } as Seen }
      const { next, minted, audit } = mintToken(
        device,
        site.tokenLifetimeHours,
        'template',
        now,
        token,
      )
      tx.saveDevice(device, next)
      tx.audit(audit)
      removeOutdatedTemplates(tx, uid, fingerprint)
      // Whatever is at the final path now carries an older token (or is not ours): it goes in the
      // same step that makes the new token current.
      removeFinal(tx, finalPath)
      tx.updateTemplateFile(id, { state: 'committed', tempPath, sha256, updatedAt: stamp() })
      return { minted }
    })
    crashPoint('template:committed')
    if ('changed' in committed && committed.changed) {
      store.write((tx) => tx.deleteTemplateFile(id))
      return { kind: 'changed', now: committed.changed }
    }
    store.write((tx) => {
      const current = currentToken(requireDevice(tx, uid))
      if (current?.fingerprint !== fingerprint) {
        tx.deleteTemplateFile(id)
        throw new FieldFlashError(
          'invalid_state',
          `Another FieldFlash minted a newer token for ${uid} while this template was being written, so this ZIP was discarded. Download the template again.`,
        )
      }
      removeFinal(tx, finalPath)
      renameSync(tempPath, finalPath)
      crashPoint('template:renamed')
      tx.updateTemplateFile(id, { state: 'final', tempPath: null, sha256, updatedAt: stamp() })
    })
    return { kind: 'placed', view: committed.minted.view, superseded: committed.minted.superseded }
  } catch (error) {
    throw ioError(input.outDir, error)
  } finally {
    liveTempFiles.delete(tempPath)
    await rm(tempPath, { force: true })
  }
}

/** The values rendered into the header are still the registry's. */
function sameInputs(a: Seen, b: Seen): boolean {
  return (
    a.device.mqtt.password === b.device.mqtt.password &&
    a.device.mqtt.username === b.device.mqtt.username &&
    a.device.boardId === b.device.boardId &&
    a.site.platformKey === b.site.platformKey &&
    a.site.apiHost === b.site.apiHost &&
    a.site.mqttHost === b.site.mqttHost &&
    a.site.mqttPort === b.site.mqttPort &&
    a.site.otaBaseUrl === b.site.otaBaseUrl
  )
}

/** Removes the file at a template's final path and forgets the ZIP recorded there. */
function removeFinal(tx: StoreWriter, finalPath: string): void {
  for (const row of tx.templateFiles({ finalPath, state: 'final' })) tx.deleteTemplateFile(row.id)
  try {
    unlinkSync(finalPath)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

/**
 * Finishes or cleans up after template runs that died: a ZIP whose token was committed is moved
 * into place if that token is still current, any other temporary ZIP is removed. Also removes the
 * working directories older FieldFlash versions left in the system temp folder. Run at start.
 */
export function reconcileTemplateFiles(store: FieldFlashStore): void {
  const orphans = store.read((tx) =>
    [...tx.templateFiles({ state: 'pending' }), ...tx.templateFiles({ state: 'committed' })].filter(
      (row) => row.pid !== process.pid && !isAlive(row.pid),
    ),
  )
  for (const orphan of orphans) {
    store.write((tx) => {
      const row = tx.templateFiles({ uid: orphan.uid }).find((r) => r.id === orphan.id)
      if (!row || row.tempPath === null) return
      const current = currentToken(requireDevice(tx, row.uid))
      if (row.state === 'committed' && current?.fingerprint === row.fingerprint && exists(row)) {
        removeFinal(tx, row.finalPath)
        renameSync(row.tempPath, row.finalPath)
        tx.updateTemplateFile(row.id, {
          state: 'final',
          tempPath: null,
          sha256: row.sha256,
          updatedAt: new Date().toISOString(),
        })
        return
      }
      try {
        unlinkSync(row.tempPath)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      }
      tx.deleteTemplateFile(row.id)
    })
  }
  removeOldWorkDirs()
}

function exists(row: TemplateFileRow): boolean {
  try {
    return row.tempPath !== null && statSync(row.tempPath).isFile()
  } catch {
    return false
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Removes this process's temporary ZIPs at once: for SIGINT/SIGTERM handlers. */
export function removeLiveTempFiles(): void {
  for (const path of liveTempFiles) {
    try {
      unlinkSync(path)
    } catch {
      // already gone
    }
  }
  liveTempFiles.clear()
}

/** Versions before the registry unpacked templates (header included) into the temp folder. */
function removeOldWorkDirs(): void {
  const root = tmpdir()
  let names: string[]
  try {
    names = readdirSync(root)
  } catch {
    return
  }
  const uid = process.getuid?.()
  for (const name of names) {
    if (!name.startsWith('fieldflash-template-')) continue
    const path = join(root, name)
    try {
      const stats = statSync(path)
      if (stats.isDirectory() && (uid === undefined || stats.uid === uid)) {
        rmSync(path, { recursive: true, force: true })
      }
    } catch {
      // raced with another cleaner
    }
  }
}

/** Creates the output folder and removes temporary ZIPs of this device left by older versions. */
async function prepareOutDir(outDir: string, uid: string, finalPath: string): Promise<void> {
  try {
    await mkdir(outDir, { recursive: true })
    const existing = await lstat(finalPath).catch(() => null)
    if (existing && !existing.isFile() && !existing.isSymbolicLink()) {
      throw new FieldFlashError(
        'io_error',
        `${finalPath} exists and is not a file, so the template cannot be written there; nothing was changed. Move it away or choose another folder.`,
      )
    }
    const legacy = new RegExp(`^\\.${uid.replace(/[.]/g, '\\.')}\\.zip\\.[0-9a-f]{12}\\.tmp$`)
    for (const name of await readdir(outDir)) {
      if (legacy.test(name)) await rm(join(outDir, name), { force: true })
    }
  } catch (error) {
    throw ioError(outDir, error)
  }
}

function ioError(outDir: string, error: unknown): FieldFlashError {
  if (error instanceof FieldFlashError) return error
  const code = (error as NodeJS.ErrnoException).code
  return new FieldFlashError(
    'io_error',
    `Could not write the template ZIP to ${outDir} (${code ?? (error as Error).message}); nothing was changed. Check the folder exists, is writable and has free space.`,
    undefined,
    { cause: error },
  )
}

interface TemplateFile {
  /** Path inside the project, with `/`. */
  name: string
  data: Buffer
  mode: number
}

/** The shared firmware and the board's platformio.ini; a broken installation says so. */
async function readBoardTemplate(catalog: BoardCatalog, boardId: string): Promise<TemplateFile[]> {
  const ini = join(catalog.boardDir(boardId), 'platformio.ini')
  try {
    const root = catalog.paths.firmwareDir
    const files: TemplateFile[] = []
    for (const path of await listFiles(root)) {
      const name = relative(root, path).split(sep).join('/')
      // A header left in the shared firmware would be shadowed anyway: the rendered one wins.
      if (name === DEVICE_CONFIG_PATH) continue
      files.push({ name, data: await readFile(path), mode: (await stat(path)).mode & 0o777 })
    }
    files.push({ name: 'platformio.ini', data: await readFile(ini), mode: 0o644 })
    return files
  } catch (error) {
    throw new FieldFlashError(
      'io_error',
      `The template of board ${boardId} is incomplete (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}: ${(error as NodeJS.ErrnoException).path ?? ini}). Reinstall FieldFlash; nothing was changed.`,
      undefined,
      { cause: error },
    )
  }
}

/** Packs the project under one top folder `<uid>/`, sorted entries, file modes kept. */
async function packTemplate(
  files: readonly TemplateFile[],
  uid: string,
  header: string,
  date: Date,
): Promise<Buffer> {
  const zip = new JSZip()
  const entries = [
    ...files.map((f) => ({
      name: `${uid}/${f.name}`,
      data: f.data as Buffer | string,
      mode: f.mode,
    })),
    { name: `${uid}/${DEVICE_CONFIG_PATH}`, data: header, mode: 0o600 },
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of entries) {
    zip.file(entry.name, entry.data, { date, unixPermissions: entry.mode, createFolders: false })
  }
  return zip.generateAsync({
    type: 'nodebuffer',
    platform: 'UNIX',
    compression: 'DEFLATE',
    compressionOptions: { level: 6 },
  })
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await listFiles(path)))
    else if (entry.isFile()) out.push(path)
  }
  return out
}

/** Writes a new file readable by its owner only, flushed to disk before it is renamed into place. */
async function writeOwnerOnly(path: string, data: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx', 0o600)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
}
