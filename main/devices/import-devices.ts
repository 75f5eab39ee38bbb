import { parse } from 'csv-parse/sync'
import type { BoardCatalog } from '../boards/catalog'
import { FieldFlashError, invalidInput } from '../shared/errors'
import type { FieldFlashStore } from '../store/store'
import { DEVICE_UID_RULE, isValidDeviceUid } from '../shared/device-uid'
import { duplicateUid, newDeviceRecord } from './devices'

/** One device to create, with the line of the file it came from. */
export interface ImportRow {
  line: number
  uid: string
  boardId: string
}

export interface ImportResult {
  created: number
  boards: Record<string, number>
}

/** The most devices one import takes: a factory lot, not a whole database dump. */
export const MAX_IMPORT_ROWS = 100_000

/**
 * Reads a device list: UIDs one per line, or a CSV whose header has a `uid` column and optionally
 * a `board` column (other columns are ignored). `defaultBoard` applies where no board is given.
 * Every row is checked; the first problem is reported with its line number.
 */
export function parseDeviceList(
  text: string,
  defaultBoard: string | undefined,
  catalog: BoardCatalog,
): ImportRow[] {
  let records: { record: string[]; line: number }[]
  try {
    records = (
      parse(text.replace(/^\uFEFF/, ''), {
        info: true,
        skip_empty_lines: true,
        trim: true,
        relax_column_count: true,
      }) as unknown as { record: string[]; info: { lines: number } }[]
    ).map((r) => ({ record: r.record, line: r.info.lines }))
  } catch (error) {
    const line = (error as { lines?: number }).lines
    throw invalidInput('file', `${line ? `line ${line}: ` : ''}is not valid CSV`)
  }
  if (records.length === 0) throw invalidInput('file', 'lists no devices')
  const header = records[0]!.record.map((cell) => cell.toLowerCase())
  const hasHeader = header.includes('uid')
  const uidColumn = hasHeader ? header.indexOf('uid') : 0
  const boardColumn = hasHeader ? header.indexOf('board') : -1
  if (!hasHeader && records.some((r) => r.record.length > 1)) {
    throw invalidInput(
      'file',
      `line ${records.find((r) => r.record.length > 1)!.line}: has several columns but the file has no header; add a header line with a "uid" column (and optionally "board")`,
    )
  }
  const rows = hasHeader ? records.slice(1) : records
  if (rows.length === 0) throw invalidInput('file', 'lists no devices: it has a header line only')
  if (rows.length > MAX_IMPORT_ROWS) {
    throw invalidInput(
      'file',
      `lists ${rows.length} devices; import at most ${MAX_IMPORT_ROWS} at once`,
    )
  }
  const seen = new Map<string, number>()
  return rows.map(({ record, line }) => {
    const uid = record[uidColumn] ?? ''
    if (!isValidDeviceUid(uid)) {
      throw invalidInput(
        'file',
        `line ${line}: uid must be ${DEVICE_UID_RULE}, not ${JSON.stringify(uid.slice(0, 40))}`,
      )
    }
    const first = seen.get(uid)
    if (first !== undefined) {
      throw new FieldFlashError(
        'already_exists',
        `file: line ${line}: uid ${uid} is listed twice (first on line ${first}); nothing was imported`,
        'file',
      )
    }
    seen.set(uid, line)
    const boardId = (boardColumn >= 0 ? record[boardColumn] : '') || defaultBoard
    if (!boardId) {
      throw invalidInput('board', `line ${line}: no board given; add a board column or --board`)
    }
    if (!catalog.has(boardId)) {
      throw invalidInput(
        'board',
        `line ${line}: ${JSON.stringify(boardId)} is not a board of the catalog; see "fieldflash boards"`,
      )
    }
    return { line, uid, boardId }
  })
}

/**
 * Creates every listed device in one transaction, each with fresh MQTT credentials: all or
 * nothing. A UID that already exists fails the whole import, naming its line.
 */
export function importDevices(
  store: FieldFlashStore,
  rows: readonly ImportRow[],
  now: Date = new Date(),
): Promise<ImportResult> {
  return store.write(async (tx) => {
    const boards: Record<string, number> = {}
    for (const row of rows) {
      if (await tx.hasDevice(row.uid)) {
        const error = duplicateUid(row.uid)
        throw new FieldFlashError(
          'already_exists',
          `file: line ${row.line}: ${error.message}; nothing was imported`,
          'file',
        )
      }
      const device = newDeviceRecord(row.uid, row.boardId, now)
      await tx.insertDevice(device)
      await tx.audit([
        { type: 'device.created', uid: row.uid, boardId: row.boardId, at: device.createdAt },
      ])
      boards[row.boardId] = (boards[row.boardId] ?? 0) + 1
    }
    return { created: rows.length, boards }
  })
}
