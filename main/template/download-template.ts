import { readdir, readFile, rm, stat } from 'node:fs/promises'
import { join, relative, resolve, sep } from 'node:path'
import JSZip from 'jszip'
import type { BoardCatalog } from '../boards/catalog'
import { writeCredentialFile } from '../credentials/credential-files'
import { deviceValues } from '../credentials/device-values'
import { requireDevice } from '../store/require-device'
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
}

const inFlight = new Set<string>()

/**
 * "Download template": packs the device's board template with a freshly rendered
 * include/device_config.h into `<outDir>/<uid>.zip` (owner-only) and makes its new one-time token
 * the device's current one. The ZIP is built in memory: the rendered header (token, MQTT password)
 * never touches the disk outside the ZIP, and the ZIP at its final path always carries the
 * device's current token (see writeCredentialFile).
 */
export async function downloadTemplate(
  store: FieldFlashStore,
  catalog: BoardCatalog,
  request: DownloadTemplateRequest,
): Promise<TemplateDownload> {
  const { uid, outDir } = request
  const now = request.now ?? new Date()
  if (typeof outDir !== 'string' || outDir.length === 0) throw invalidInput('out', 'is required')
  const device = await store.read(async (tx) => {
    await requireSiteProfile(tx)
    return requireDevice(tx, uid)
  })
  const board = catalog.get(device.boardId)
  if (inFlight.has(uid)) {
    throw new FieldFlashError(
      'invalid_state',
      `A template for ${uid} is already being prepared; wait for it to finish.`,
    )
  }
  inFlight.add(uid)
  try {
    const files = await readBoardTemplate(catalog, board.id)
    await removeLegacyTempZips(outDir, uid)
    const zipPath = resolve(outDir, `${uid}.zip`)
    const minted = await writeCredentialFile(store, {
      uid,
      finalPath: zipPath,
      origin: 'template',
      now,
      render: ({ site, device, token, fingerprint }) =>
        packTemplate(
          files,
          uid,
          renderDeviceConfig({
            ...deviceValues(site, device, token),
            boardId: board.id,
            tokenFingerprint: fingerprint,
            generatedAt: now,
          }),
          now,
        ),
    })
    return { zipPath, uid, boardId: board.id, token: minted.view, superseded: minted.superseded }
  } finally {
    inFlight.delete(uid)
  }
}

/** Removes temporary ZIPs of this device that versions before the registry left in `outDir`. */
async function removeLegacyTempZips(outDir: string, uid: string): Promise<void> {
  const legacy = new RegExp(`^\\.${uid.replace(/[.]/g, '\\.')}\\.zip\\.[0-9a-f]{12}\\.tmp$`)
  let names: string[]
  try {
    names = await readdir(outDir)
  } catch {
    return
  }
  for (const name of names) {
    if (legacy.test(name)) await rm(join(outDir, name), { force: true })
  }
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
