import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs'
import { lstat, mkdir, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { crashPoint } from '../shared/crash-point'
import { FieldFlashError } from '../shared/errors'
import { PostgresStore } from '../store/pg-store'
import type { DatabaseTarget } from '../store/postgres'
import {
  SqliteStore,
  type CredentialFileRow,
  type FieldFlashStore,
  type StoreWriter,
} from '../store/store'
import type { TokenOrigin } from '../store/records'
import { commitRenderedToken, readRenderInputs, type RenderInputs } from './fresh-token'
import { generateTokenString, tokenHash } from './token-format'
import { currentToken } from './tokens'
import { requireDevice } from '../store/require-device'
import type { MintedToken } from './token-types'

// A credential file carries a device's fresh one-time token (and its MQTT password): a template
// ZIP, a config partition image. Whoever is killed at whatever point, either such a file at its
// final path carries its device's current token, or it is not there; its bytes never touch the
// disk anywhere but a temporary file beside the final path, owner-only, that a later start
// finishes or removes.

/** What a credential file is rendered from: the registry's values and the new token. */
export interface CredentialInputs extends RenderInputs {
  token: string
  fingerprint: string
}

export interface WriteCredentialFileRequest {
  uid: string
  /** Where the file ends up. Its folder is created if missing. */
  finalPath: string
  origin: TokenOrigin
  now: Date
  /** Builds the file's bytes in memory; may throw to refuse the values (nothing is minted then). */
  render: (inputs: CredentialInputs) => Promise<Uint8Array> | Uint8Array
}

/** Temporary files this process is writing: removed by `removeLiveTempFiles` on SIGINT/SIGTERM. */
const liveTempFiles = new Set<string>()

/** How often a file is rendered again when the device or site changed while it was rendered. */
const ATTEMPTS = 3

/**
 * Mints a new token for the device (superseding the previous one) and writes the file rendered
 * with it, owner-only:
 *
 * 1. the temporary file is recorded in the registry, then written and flushed;
 * 2. one transaction re-reads device and site, mints the token, and removes any older file of the
 *    device and whatever is at the final path;
 * 3. one transaction moves the temporary file into place only if its token is still current.
 */
export async function writeCredentialFile(
  store: FieldFlashStore,
  request: WriteCredentialFileRequest,
): Promise<MintedToken> {
  const { uid, finalPath } = request
  let seen = await store.read((tx) => readRenderInputs(tx, uid))
  await prepareFolder(finalPath)
  for (let attempt = 1; ; attempt++) {
    const token = generateTokenString()
    const fingerprint = tokenHash(token).slice(0, 8)
    const bytes = await request.render({ ...seen, token, fingerprint })
    const outcome = await place(store, request, { token, fingerprint, bytes, seen })
    if (outcome.kind === 'placed') return outcome.minted
    if (attempt >= ATTEMPTS) {
      throw new FieldFlashError(
        'invalid_state',
        `Device ${uid} or the site profile kept changing while its file was prepared; nothing was changed. Try again.`,
      )
    }
    seen = outcome.now
  }
}

async function place(
  store: FieldFlashStore,
  request: WriteCredentialFileRequest,
  file: { token: string; fingerprint: string; bytes: Uint8Array; seen: RenderInputs },
): Promise<{ kind: 'placed'; minted: MintedToken } | { kind: 'changed'; now: RenderInputs }> {
  const { uid, finalPath, now } = request
  const { fingerprint, seen } = file
  const sha256 = createHash('sha256').update(file.bytes).digest('hex')
  const tempPath = join(
    dirname(finalPath),
    `.${basename(finalPath)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  )
  const stamp = (): string => new Date().toISOString()
  const id = await store.write((tx) =>
    tx.addCredentialFile({
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
    crashPoint('file:recorded')
    await writeOwnerOnly(tempPath, file.bytes)
    crashPoint('file:written')
    const committed = await store.write(async (tx) => {
      const outcome = await commitRenderedToken(tx, seen, file.token, request.origin, now)
      if ('changed' in outcome) return outcome
      // Whatever is at the final path now carries an older token (or is not ours): it goes in the
      // same step that makes the new token current.
      await removeFinal(tx, finalPath)
      await tx.updateCredentialFile(id, {
        state: 'committed',
        tempPath,
        sha256,
        updatedAt: stamp(),
      })
      return outcome
    })
    crashPoint('file:committed')
    if ('changed' in committed) {
      await store.write((tx) => tx.deleteCredentialFile(id))
      return { kind: 'changed', now: committed.changed }
    }
    await store.write(async (tx) => {
      if (currentToken(await requireDevice(tx, uid))?.fingerprint !== fingerprint) {
        await tx.deleteCredentialFile(id)
        throw new FieldFlashError(
          'invalid_state',
          `Another FieldFlash minted a newer token for ${uid} while this file was being written, so it was discarded. Try again.`,
        )
      }
      await removeFinal(tx, finalPath)
      renameSync(tempPath, finalPath)
      crashPoint('file:renamed')
      await tx.updateCredentialFile(id, {
        state: 'final',
        tempPath: null,
        sha256,
        updatedAt: stamp(),
      })
    })
    return { kind: 'placed', minted: committed.minted }
  } catch (error) {
    throw ioError(finalPath, error)
  } finally {
    liveTempFiles.delete(tempPath)
    await rm(tempPath, { force: true })
  }
}

/** Removes the file at a final path and forgets the credential file recorded there. */
async function removeFinal(tx: StoreWriter, finalPath: string): Promise<void> {
  for (const row of await tx.credentialFiles({ finalPath, state: 'final' })) {
    await tx.deleteCredentialFile(row.id)
  }
  try {
    unlinkSync(finalPath)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

/**
 * Opens the data directory the way every face does (the app and each CLI run): the registry, what
 * opening it had to say (permissions fixed, an old data file imported), and the credential files
 * of runs that died finished or removed.
 */
export async function openDataDirectory(
  dataDir: string,
  database: DatabaseTarget | null = null,
): Promise<{ store: FieldFlashStore; notices: string[] }> {
  const store = database
    ? await PostgresStore.open(database, dataDir)
    : await SqliteStore.open(dataDir)
  try {
    await reconcileCredentialFiles(store)
  } catch (error) {
    await store.close()
    throw error
  }
  return { store, notices: [...store.notices] }
}

/**
 * Finishes or cleans up after runs that died: a file whose token was committed is moved into place
 * if that token is still current; any other temporary file is removed. Also removes the working
 * directories older FieldFlash versions left in the system temp folder. Run at start.
 */
export async function reconcileCredentialFiles(store: FieldFlashStore): Promise<void> {
  const orphans = await store.read(async (tx) =>
    [
      ...(await tx.credentialFiles({ state: 'pending' })),
      ...(await tx.credentialFiles({ state: 'committed' })),
    ].filter((row) => row.pid !== process.pid && !isAlive(row.pid)),
  )
  for (const orphan of orphans) {
    await store.write(async (tx) => {
      const rows = await tx.credentialFiles({ uid: orphan.uid })
      const row = rows.find((r) => r.id === orphan.id)
      if (!row || row.tempPath === null) return
      const current = currentToken(await requireDevice(tx, row.uid))
      if (row.state === 'committed' && current?.fingerprint === row.fingerprint && exists(row)) {
        await removeFinal(tx, row.finalPath)
        renameSync(row.tempPath, row.finalPath)
        await tx.updateCredentialFile(row.id, {
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
      await tx.deleteCredentialFile(row.id)
    })
  }
  // Once per data directory: versions after the registry never create these folders.
  if ((await store.read((tx) => tx.getMeta(OLD_WORK_DIRS_REMOVED))) === null) {
    removeOldWorkDirs()
    await store.write((tx) => tx.setMeta(OLD_WORK_DIRS_REMOVED, new Date().toISOString()))
  }
}

const OLD_WORK_DIRS_REMOVED = 'old_template_work_dirs_removed'

function exists(row: CredentialFileRow): boolean {
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

/** Removes this process's temporary files at once: for SIGINT/SIGTERM handlers. */
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

/** Creates the file's folder; a folder or device node at the final path is refused up front. */
async function prepareFolder(finalPath: string): Promise<void> {
  try {
    await mkdir(dirname(finalPath), { recursive: true })
    const existing = await lstat(finalPath).catch(() => null)
    if (existing && !existing.isFile() && !existing.isSymbolicLink()) {
      throw new FieldFlashError(
        'io_error',
        `${finalPath} exists and is not a file, so nothing can be written there; nothing was changed. Move it away or choose another place.`,
      )
    }
  } catch (error) {
    throw ioError(finalPath, error)
  }
}

function ioError(finalPath: string, error: unknown): FieldFlashError {
  if (error instanceof FieldFlashError) return error
  const code = (error as NodeJS.ErrnoException).code
  return new FieldFlashError(
    'io_error',
    `Could not write ${finalPath} (${code ?? (error as Error).message}); nothing was changed. Check the folder exists, is writable and has free space.`,
    undefined,
    { cause: error },
  )
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
