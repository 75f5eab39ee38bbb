import { appendFile, stat } from 'node:fs/promises'
import { writeFileAtomically } from '../shared/atomic-file'
import { FieldFlashError } from '../shared/errors'
import type { StationRow } from './station-types'

// The station's results file: one CSV line per board, appended as the board ends, so a station
// stopped in any way keeps every result it reached; a header first when the file is new.

const COLUMNS: readonly [header: string, value: (row: StationRow) => string | number][] = [
  ['time', (r) => r.endedAt],
  ['port', (r) => r.port],
  ['slot', (r) => r.slot],
  ['device', (r) => r.device],
  ['mac', (r) => r.mac],
  ['chip', (r) => r.chip],
  ['token_fingerprint', (r) => r.fingerprint],
  ['code', (r) => r.code],
  ['outcome', (r) => r.outcome],
  ['reached', (r) => r.reached],
  ['error_code', (r) => r.errorCode],
  ['identify_s', (r) => r.identifySeconds],
  ['write_s', (r) => r.writeSeconds],
  ['verify_s', (r) => r.verifySeconds],
  ['total_s', (r) => r.totalSeconds],
]

function field(value: string | number): string {
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** Writes `rows` as a whole CSV file at `path` (the app's export of a station's results). */
export async function writeResults(path: string, rows: readonly StationRow[]): Promise<void> {
  const text = [COLUMNS.map(([name]) => name).join(',')].concat(rows.map(csvLine)).join('\n')
  await writeFileAtomically(path, text + '\n', { field: 'results' })
}

function csvLine(row: StationRow): string {
  return COLUMNS.map(([, value]) => field(value(row))).join(',')
}

/**
 * The results file of one station run: rows appended one after another (boards that end at the
 * same moment would otherwise both find the file new and both write the header).
 */
export function resultsFile(path: string): (row: StationRow) => Promise<void> {
  let queue: Promise<void> = Promise.resolve()
  return (row) => {
    queue = queue.then(() => appendResult(path, row))
    return queue
  }
}

/** Appends `row` to the CSV at `path` (with the header line when the file is new or empty). */
async function appendResult(path: string, row: StationRow): Promise<void> {
  const size = await stat(path).then(
    (s) => s.size,
    () => 0,
  )
  const line = csvLine(row)
  const header = size === 0 ? COLUMNS.map(([name]) => name).join(',') + '\n' : ''
  try {
    await appendFile(path, header + line + '\n', { mode: 0o644 })
  } catch (error) {
    throw new FieldFlashError(
      'io_error',
      `Could not append to ${path} (${(error as NodeJS.ErrnoException).code}). Check the folder exists and is writable.`,
      'results',
      { cause: error },
    )
  }
}
