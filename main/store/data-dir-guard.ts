import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  closeSync,
  constants,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { FieldFlashError } from '../shared/errors'

const POSIX = typeof process.getuid === 'function'

function describeMode(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`
}

function refuse(message: string): FieldFlashError {
  return new FieldFlashError('store_unsafe', message)
}

/**
 * Makes sure the data directory is FieldFlash's alone before anything is read or written there:
 * created 0700 when missing; owned by this user; group/other permission bits are removed (and
 * said so). A data directory owned by another user is refused. Returns notices for the user.
 */
export function secureDataDir(dataDir: string): string[] {
  const notices: string[] = []
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  } catch (error) {
    throw new FieldFlashError(
      'io_error',
      `Cannot create the data directory ${dataDir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}. Check the path and its permissions, or choose another with --data-dir.`,
      undefined,
      { cause: error },
    )
  }
  // The directory itself may be reached through a link (a config folder on another disk): what
  // matters is the directory it leads to.
  const stats = statSync(dataDir)
  if (!stats.isDirectory()) {
    throw refuse(
      `The data directory ${dataDir} is not a directory. Move it away or choose another.`,
    )
  }
  if (!POSIX) return notices
  if (stats.uid !== process.getuid!()) {
    throw refuse(
      `The data directory ${dataDir} belongs to another user (uid ${stats.uid}); FieldFlash keeps secrets there and uses only a directory of its own user. Choose another with --data-dir or FIELDFLASH_DATA_DIR.`,
    )
  }
  if ((stats.mode & 0o077) !== 0) {
    chmodSync(dataDir, 0o700)
    notices.push(
      `The data directory ${dataDir} was accessible to other users (mode ${describeMode(stats.mode)}); its mode is now 0700.`,
    )
  }
  return notices
}

/**
 * Checks one file of the data directory before it is opened: a symbolic link or anything but a
 * regular file is refused (FieldFlash never writes secrets through a link), a file of another user
 * is refused, and group/other bits are removed (and said so). A missing file is fine.
 */
export function checkDataFile(path: string, notices: string[]): void {
  let stats
  try {
    stats = lstatSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  if (stats.isSymbolicLink()) {
    throw refuse(
      `${path} is a symbolic link; FieldFlash never follows links inside its data directory. Replace the link with the real file (or remove it), then try again.`,
    )
  }
  if (!stats.isFile()) {
    throw refuse(
      `${path} is not a regular file. Move it out of the data directory, then try again.`,
    )
  }
  if (!POSIX) return
  if (stats.uid !== process.getuid!()) {
    throw refuse(
      `${path} belongs to another user (uid ${stats.uid}); FieldFlash uses only files of its own user. Move it away, then try again.`,
    )
  }
  if ((stats.mode & 0o077) !== 0) {
    chmodSync(path, 0o600)
    notices.push(
      `${path} was readable or writable by other users (mode ${describeMode(stats.mode)}); its mode is now 0600.`,
    )
  }
}

/**
 * Creates `path` owner-only if it does not exist, never through a symbolic link. An existing file
 * is not opened here: closing a descriptor would drop the POSIX locks SQLite holds on it in this
 * process.
 */
export function createOwnerOnlyFile(path: string): void {
  try {
    lstatSync(path)
    return
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const flags = constants.O_CREAT | constants.O_WRONLY | (POSIX ? (constants.O_NOFOLLOW ?? 0) : 0)
  closeSync(openSync(path, flags, 0o600))
}

/** The files of a data directory that FieldFlash owns, for the checks above. */
export function dataFiles(dataDir: string, names: readonly string[]): string[] {
  return names.map((name) => join(dataDir, name))
}

/**
 * Creates an owner-only file holding `contents` unless it exists, and answers what the file holds.
 * Written whole under a temporary name, then linked into place: a link never replaces an existing
 * file, so two processes creating it at once agree on the first one, read complete.
 */
export function createFileOnce(path: string, contents: string): string {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    const fd = openSync(
      temp,
      constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0),
      0o600,
    )
    try {
      writeSync(fd, contents)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    try {
      linkSync(temp, path)
      return contents
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(path, 'utf8')
      throw error
    }
  } finally {
    rmSync(temp, { force: true })
  }
}
