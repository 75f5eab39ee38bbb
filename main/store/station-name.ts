import { readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { FieldFlashError, invalidInput } from '../shared/errors'
import { checkDataFile } from './data-dir-guard'

// A station's name says, in a shared registry, which station made a change (the audit log) and
// whose disk a file is on. One per data directory, the host name unless set.

/** The file in the data directory that names its station. */
export const STATION_NAME_FILE = 'station-name'

const RULE = 'must be 1–64 letters, digits, dots, dashes or underscores'

/** The data directory's station name: as set, else this host's name. */
export function stationName(dataDir: string): string {
  const path = join(dataDir, STATION_NAME_FILE)
  checkDataFile(path, [])
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return hostname()
    throw error
  }
  const name = text.trim()
  if (!isStationName(name)) {
    throw new FieldFlashError(
      'store_corrupt',
      `${path} does not hold a station name (it ${RULE}). Set it again with "fieldflash station-name <name>".`,
    )
  }
  return name
}

/** Names the data directory's station (`field`: the option or argument the user typed). */
export function setStationName(dataDir: string, name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || !isStationName(name)) throw invalidInput(field, RULE)
  writeFileSync(join(dataDir, STATION_NAME_FILE), `${name}\n`, { mode: 0o600 })
  return name
}

function isStationName(name: string): boolean {
  return /^[A-Za-z0-9._-]{1,64}$/.test(name)
}
