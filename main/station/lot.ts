import { readFile } from 'node:fs/promises'
import type { BoardCatalog } from '../boards/catalog'
import { addDevice } from '../devices/devices'
import { importDevices, parseDeviceList, type ImportRow } from '../devices/import-devices'
import { DEVICE_UID_RULE, isValidDeviceUid } from '../shared/device-uid'
import { deviceLeased } from '../leases/device-lease'
import { invalidInput, type FieldFlashError } from '../shared/errors'
import type { DeviceRecord } from '../store/records'
import type { FieldFlashStore } from '../store/store'

// Which device the next board on the station becomes. A lot is a list of devices (a file in
// `device import`'s format: the ones not in the registry yet are created, and each board takes the
// next one not yet provisioned) or a UID pattern (`line3-{seq:05}`, `pump-{mac}`) whose devices are
// created as boards come. A device is never given to two boards in a run.

export interface LotBoard {
  /** The board's MAC (`aa:bb:cc:dd:ee:ff`), for `{mac}`. */
  mac: string
}

export interface Lot {
  /** What the lot is, in words, for the station's header. */
  readonly description: string
  /** The next device for `board`, created if the lot says so; null when the lot is used up. */
  next(board: LotBoard): Promise<string | null>
}

/** A device is done when it was flashed or approved: the lot gives it to no other board. */
function provisioned(device: DeviceRecord | null): boolean {
  return device !== null && (device.flashes.length > 0 || device.approvedAt !== null)
}

/**
 * Whether the lot can give `uid` to a board: not given here, not done, and not being written by
 * another station working the same lot (whose job holds the device's lease).
 */
async function available(
  store: FieldFlashStore,
  given: Set<string>,
  uid: string,
): Promise<boolean> {
  if (given.has(uid) || provisioned(await store.device(uid))) return false
  return !(await deviceLeased(store, uid))
}

/**
 * Opens a lot: `spec` is a file (one UID per line, or a CSV with a uid column) when one exists at
 * that path, otherwise a pattern with `{seq}`, `{seq:0N}` or `{mac}`. Bad input is refused naming
 * `--lot` and the rule.
 */
export async function openLot(
  store: FieldFlashStore,
  catalog: BoardCatalog,
  spec: string,
  boardId: string,
): Promise<Lot> {
  if (typeof spec !== 'string' || spec.trim() === '') throw invalidInput('lot', 'is required')
  const text = await readFile(spec, 'utf8').catch(() => null)
  if (text !== null) return await fileLot(store, catalog, spec, text, boardId)
  return patternLot(store, catalog, spec, boardId)
}

async function fileLot(
  store: FieldFlashStore,
  catalog: BoardCatalog,
  path: string,
  text: string,
  boardId: string,
): Promise<Lot> {
  let rows: ImportRow[]
  try {
    rows = parseDeviceList(text, boardId, catalog)
  } catch (error) {
    throw Object.assign(error as Error, { message: `lot: ${path}: ${(error as Error).message}` })
  }
  const known = await store.read(async (tx) => {
    const uids = new Set<string>()
    for (const row of rows) if (await tx.hasDevice(row.uid)) uids.add(row.uid)
    return uids
  })
  const missing = rows.filter((row) => !known.has(row.uid))
  if (missing.length > 0) await importDevices(store, missing)
  const given = new Set<string>()
  return {
    description: `${rows.length} device(s) from ${path}`,
    async next() {
      for (const row of rows) {
        if (!(await available(store, given, row.uid))) continue
        given.add(row.uid)
        return row.uid
      }
      return null
    },
  }
}

const PLACEHOLDER = /\{(seq)(?::(0\d+))?\}|\{(mac)\}/g

function patternLot(
  store: FieldFlashStore,
  catalog: BoardCatalog,
  pattern: string,
  boardId: string,
): Lot {
  const names = [...pattern.matchAll(PLACEHOLDER)]
  if (names.length === 0) {
    throw invalidInput(
      'lot',
      `${JSON.stringify(pattern)} is neither a file nor a pattern: a pattern holds {seq}, {seq:05} or {mac}`,
    )
  }
  const render = (seq: number, mac: string): string =>
    pattern.replace(PLACEHOLDER, (_, s: string, width: string | undefined, m: string) =>
      s ? String(seq).padStart(width ? Number(width.slice(1)) : 0, '0') : m ? mac : '',
    )
  const sample = render(1, '240ac4000000')
  if (!isValidDeviceUid(sample)) {
    throw invalidInput(
      'lot',
      `the pattern makes UIDs like ${sample}, but a UID must be ${DEVICE_UID_RULE}`,
    )
  }
  const bySeq = names.some((n) => n[1] === 'seq')
  const given = new Set<string>()
  let seq = 0
  return {
    description: `devices named ${pattern}`,
    async next(board) {
      const mac = board.mac.replace(/:/g, '').toLowerCase()
      // {mac} alone: the board's own UID, whoever had it before (the same board is the same device).
      let uid = render(0, mac)
      if (bySeq) {
        // The next counter value not given in this run, not provisioned before, and not being
        // written by another station working the same pattern.
        do uid = render(++seq, mac)
        while (!(await available(store, given, uid)))
      }
      given.add(uid)
      // Boards are flashing meanwhile: the lock is awaited in timers, not in the event loop.
      if (!(await store.device(uid))) {
        // Another station working the same pattern may create it first: then it is there.
        await addDevice(store, catalog, { uid, boardId }).catch((error: unknown) => {
          if ((error as FieldFlashError).code !== 'already_exists') throw error
        })
      }
      return uid
    },
  }
}
