import { randomBytes } from 'node:crypto'
import {
  cp,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import JSZip from 'jszip'
import type { BoardCatalog } from '../boards/catalog'
import { mintToken, requireDevice, withDevice } from '../provisioning/tokens'
import { requireSiteProfile } from '../site/site-profile'
import { FieldFlashError, invalidInput } from '../shared/errors'
import type { FieldFlashStore } from '../store/store'
import { DEVICE_CONFIG_PATH, renderDeviceConfig } from './device-config'
import type { TemplateDownload } from './template-types'

export type { TemplateDownload }

export interface DownloadTemplateRequest {
  uid: string
  /** Folder the ZIP is written to (created if missing). */
  outDir: string
  now?: Date
  /** Where temporary working directories are made; the system temp dir by default. */
  workRoot?: string
}

const inFlight = new Set<string>()

/**
 * "Download template": copies the device's board template into a fresh temporary working
 * directory, mints a new one-time token (superseding the previous one), renders
 * include/device_config.h, and packs `<outDir>/<uid>.zip` (owner-only, written via a temp file and
 * renamed). Either the ZIP exists and the store says its token is current, or neither changed. The
 * working directory is removed on every path.
 */
export async function downloadTemplate(
  store: FieldFlashStore,
  catalog: BoardCatalog,
  request: DownloadTemplateRequest,
): Promise<TemplateDownload> {
  const { uid, outDir } = request
  const now = request.now ?? new Date()
  if (typeof outDir !== 'string' || outDir.length === 0) throw invalidInput('out', 'is required')
  const site = requireSiteProfile(store)
  const device = requireDevice(store.read(), uid)
  const board = catalog.get(device.boardId)
  if (inFlight.has(uid)) {
    throw new FieldFlashError(
      'invalid_state',
      `A template for ${uid} is already being prepared; wait for it to finish.`,
    )
  }
  inFlight.add(uid)
  const workDir = await mkdtemp(join(request.workRoot ?? tmpdir(), 'fieldflash-template-'))
  let tempZip: string | null = null
  try {
    const projectDir = join(workDir, uid)
    await copyBoardTemplate(catalog, board.id, projectDir)

    const before = store.read()
    const { next, minted, audit } = mintToken(before, uid, 'template', now)
    const header = renderDeviceConfig({
      deviceUid: uid,
      platformKey: site.platformKey,
      mqttHost: site.mqttHost,
      mqttPort: site.mqttPort,
      mqttUsername: device.mqtt.username,
      mqttPassword: device.mqtt.password,
      otaBaseUrl: site.otaBaseUrl,
      apiHost: site.apiHost,
      provisioningToken: minted.token,
      boardId: board.id,
      tokenFingerprint: minted.view.fingerprint,
      generatedAt: now,
    })
    await mkdir(join(projectDir, 'include'), { recursive: true })
    await writeFile(join(projectDir, DEVICE_CONFIG_PATH), header, { mode: 0o600 })

    const zip = await packDirectory(workDir, uid, now)
    await mkdir(outDir, { recursive: true })
    const zipPath = join(outDir, `${uid}.zip`)
    tempZip = join(outDir, `.${uid}.zip.${randomBytes(6).toString('hex')}.tmp`)
    await writeOwnerOnly(tempZip, zip)

    // Commit the token only now that the ZIP is safely on disk; make it visible only after. Only
    // this device is replaced, and only if nothing else changed it while the ZIP was being packed.
    const previous = requireDevice(before, uid)
    const updated = requireDevice(next, uid)
    store.update((doc) => {
      if (requireDevice(doc, uid) !== previous) {
        throw new FieldFlashError(
          'invalid_state',
          `Device ${uid} changed while its template was being prepared; try again.`,
        )
      }
      return { next: withDevice(doc, updated), result: undefined, audit }
    })
    try {
      await rename(tempZip, zipPath)
      tempZip = null
    } catch (error) {
      store.update((doc) => {
        if (requireDevice(doc, uid) !== updated) return { next: doc, result: undefined }
        return {
          next: withDevice(doc, previous),
          result: undefined,
          audit: [
            {
              type: 'token.discarded',
              uid,
              fingerprint: minted.view.fingerprint,
              restored: minted.superseded?.fingerprint ?? null,
              reason: 'the template ZIP could not be moved into place',
            },
          ],
        }
      })
      throw error
    }
    return { zipPath, uid, boardId: board.id, token: minted.view, superseded: minted.superseded }
  } catch (error) {
    if (error instanceof FieldFlashError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new FieldFlashError(
      'io_error',
      `Could not write the template ZIP to ${outDir} (${code ?? (error as Error).message}); nothing was changed. Check the folder exists, is writable and has free space.`,
      undefined,
      { cause: error },
    )
  } finally {
    inFlight.delete(uid)
    if (tempZip) await rm(tempZip, { force: true })
    await rm(workDir, { recursive: true, force: true })
  }
}

/** Copies the shared firmware and the board's platformio.ini; a broken installation says so. */
async function copyBoardTemplate(
  catalog: BoardCatalog,
  boardId: string,
  projectDir: string,
): Promise<void> {
  const ini = join(catalog.boardDir(boardId), 'platformio.ini')
  try {
    await cp(catalog.paths.firmwareDir, projectDir, { recursive: true })
    await cp(ini, join(projectDir, 'platformio.ini'))
  } catch (error) {
    throw new FieldFlashError(
      'io_error',
      `The template of board ${boardId} is incomplete (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}: ${(error as NodeJS.ErrnoException).path ?? ini}). Reinstall FieldFlash; nothing was changed.`,
      undefined,
      { cause: error },
    )
  }
}

/** Packs `root/top` into a ZIP with `top/` as its only top folder, sorted entries, file modes kept. */
async function packDirectory(root: string, top: string, date: Date): Promise<Buffer> {
  const zip = new JSZip()
  const files = (await listFiles(join(root, top))).sort()
  for (const file of files) {
    const name = relative(root, file).split(sep).join('/')
    const mode = (await stat(file)).mode & 0o777
    zip.file(name, await readFile(file), { date, unixPermissions: mode, createFolders: false })
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
