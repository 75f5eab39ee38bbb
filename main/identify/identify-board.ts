import { createHash } from 'node:crypto'
import type { BoardCatalog } from '../boards/catalog'
import { CONFIG_NAMESPACE, CONFIG_PARTITION_NAME } from '../config-partition/config-partition'
import { isErased, readNvsPartition } from '../config-partition/nvs-read'
import { tokenHash } from '../credentials/token-format'
import { currentToken, viewToken } from '../credentials/tokens'
import { listFirmware } from '../firmware-library/firmware-library'
import {
  defaultFlashDependencies,
  readFlashMd5,
  withLoader,
  type BeforeMode,
  type FlashDependencies,
  type LoaderSession,
} from '../flash/flash-board'
import type { FlashEvent, FlashFailure } from '../flash/flash-events'
import type { BoardIdentity, ConfigFinding, TokenFinding } from './identify-types'
import { parsePartitionTable, type PartitionEntry } from '../flash/firmware/partition-table'
import type { PortLease } from '../leases/port-lease'
import { resetIntoFirmware } from '../serial/board-reset'
import { FieldFlashError } from '../shared/errors'
import type { FieldFlashStore } from '../store/store'

// "Which board is this?" read back from the board itself: connect in download mode, read the
// partition table and the config partition, decode the NVS, and say which device it is and what
// the registry makes of its token; which library firmware it runs; its chip and security state.
// Never a secret: the token is named by its fingerprint, the MQTT and Wi-Fi passwords not at all.

/** Where ESP-IDF puts the partition table, and how much of it there can be. */
const PARTITION_TABLE_OFFSET = 0x8000
const PARTITION_TABLE_SIZE = 0xc00

export type { BoardIdentity, ConfigFinding, TokenFinding } from './identify-types'

export type IdentifyResult = BoardIdentity | FlashFailure

/** The identity, or the failure as the FieldFlash error it is (for the app's request/answer). */
export function requireIdentified(result: IdentifyResult): BoardIdentity {
  if (result.ok) return result
  // An internal failure is a bug: the app answers it as one (and logs it).
  if (result.code === 'internal') throw new Error(result.message)
  throw new FieldFlashError(result.code, result.message)
}

/**
 * Reads a board back and says what it is. The reset that fits the port puts it in download mode;
 * nothing is written; at the end it is reset into its firmware again (as esptool does).
 */
export async function identifyBoard(
  services: { store: FieldFlashStore; catalog: BoardCatalog },
  request: {
    port: { path: string; vid?: string | null; pid?: string | null }
    baud?: number
    before?: BeforeMode
    lease?: PortLease | null
    now?: Date
    /**
     * Whether to leave the board in download mode (esptool's --after no_reset) once it is read,
     * told what it is: for a write that follows (a native-USB board reset into its firmware
     * would re-enumerate in between). Default: reset it into its firmware, as esptool does.
     */
    stayInDownloadMode?: (found: { device: BoardIdentity['device'] }) => boolean
  },
  emit: (event: FlashEvent) => void,
  signal?: AbortSignal,
  deps: FlashDependencies = defaultFlashDependencies,
): Promise<IdentifyResult> {
  const now = request.now ?? new Date()
  return withLoader(
    { ...request, board: null },
    {
      holder: 'identifying a board',
      cancelled: 'Identifying the board was cancelled; nothing was written.',
      again: 'identify it again',
      writes: false,
      verb: 'Reading',
    },
    emit,
    signal,
    deps,
    async (session): Promise<BoardIdentity> => {
      const { loader, step, chip } = session
      const description = await step(loader.chip.getChipDescription(loader)).catch(() => chip)
      if (!session.stub) {
        throw new FieldFlashError(
          'link_failed',
          `The flasher stub could not be started on the board on ${request.port.path}, and reading flash needs it${session.security?.secureDownloadMode ? ' (the board is in secure download mode, which allows no reading)' : ''}.`,
        )
      }
      let bytesRead = 0
      const read = async (offset: number, size: number): Promise<Uint8Array> => {
        session.enter(
          'reading',
          `Reading 0x${size.toString(16)} bytes at 0x${offset.toString(16)}…`,
        )
        const data = await step(loader.readFlash(offset, size))
        // esptool-js does not check the stub's closing MD5: ask the board for the region's own.
        const board = await step(readFlashMd5(loader, offset, size, true))
        if (createHash('md5').update(data).digest('hex') !== board) {
          throw new FieldFlashError(
            'link_failed',
            `Reading 0x${offset.toString(16)} from the board on ${request.port.path} gave bytes that do not match the board's own MD5. Check the cable, try a lower baud rate, then identify it again.`,
          )
        }
        bytesRead += size
        return data
      }

      const partitions =
        chip === 'ESP8266'
          ? null
          : tableOf(await read(PARTITION_TABLE_OFFSET, PARTITION_TABLE_SIZE))
      const configEntry =
        partitions?.find((p) => p.label === CONFIG_PARTITION_NAME) ??
        partitions?.find((p) => p.label === 'nvs') ??
        null
      const config = configEntry
        ? findConfig(configEntry, await read(configEntry.offset, configEntry.size))
        : null
      const device = config?.uid ? await registryFinding(services.store, config, now) : null
      const firmware = partitions ? await libraryMatch(services, session, chip) : null
      // As esptool does after reading: the board goes back to running its firmware.
      if (!request.stayInDownloadMode?.({ device })) {
        session.enter('resetting', 'Resetting the board into its firmware…')
        await step(
          resetIntoFirmware(({ dtr, rts }) =>
            session.port.setSignals({ dataTerminalReady: dtr, requestToSend: rts }),
          ),
        )
      }
      return {
        ok: true,
        port: request.port.path,
        chip,
        description,
        mac: session.mac,
        flashSize: session.flashSize,
        security: session.security,
        partitions:
          partitions?.map(({ label, type, subtype, offset, size }) => ({
            label,
            type,
            subtype,
            offset,
            size,
          })) ?? null,
        config,
        device,
        firmware,
        bytesRead,
        durationMs: Math.round(session.elapsedMs()),
      }
    },
  )
}

function tableOf(data: Uint8Array): PartitionEntry[] | null {
  if (isErased(data)) return null
  try {
    return parsePartitionTable(data, 'the board').entries
  } catch {
    return null
  }
}

/** What a config partition holds: the device's UID and its token's fingerprint, no secret. */
function findConfig(entry: PartitionEntry, data: Uint8Array): ConfigFinding {
  const base = { partition: entry.label, offset: entry.offset, size: entry.size }
  if (isErased(data)) return { ...base, state: 'erased', keys: [], uid: null, fingerprint: null }
  const values = readNvsPartition(data).namespaces.get(CONFIG_NAMESPACE)
  if (!values) return { ...base, state: 'other', keys: [], uid: null, fingerprint: null }
  const uid = values.get('uid')
  const token = values.get('prov_token')
  return {
    ...base,
    state: 'fieldflash',
    keys: [...values.keys()],
    uid: typeof uid === 'string' ? uid : null,
    fingerprint: typeof token === 'string' ? tokenHash(token).slice(0, 8) : null,
  }
}

/** The device and its token as this registry knows them. */
async function registryFinding(
  store: FieldFlashStore,
  config: ConfigFinding,
  now: Date,
): Promise<NonNullable<BoardIdentity['device']>> {
  const uid = config.uid!
  const device = await store.device(uid)
  if (!device) return { uid, known: false, boardId: null, token: null, tokenView: null }
  const record = device.tokens.find((t) => t.fingerprint === config.fingerprint) ?? null
  if (!record)
    return { uid, known: true, boardId: device.boardId, token: 'unknown', tokenView: null }
  const view = viewToken(record, now)
  const current = currentToken(device)
  const finding: TokenFinding =
    view.state === 'issued' && current?.fingerprint === record.fingerprint
      ? 'current'
      : view.state === 'issued'
        ? 'superseded'
        : view.state
  return { uid, known: true, boardId: device.boardId, token: finding, tokenView: view }
}

/** The library firmware for this chip whose every part the board holds (by the board's MD5s). */
async function libraryMatch(
  services: { store: FieldFlashStore; catalog: BoardCatalog },
  session: LoaderSession,
  chip: string,
): Promise<BoardIdentity['firmware']> {
  const boardIds = new Set(
    services.catalog
      .list()
      .filter((b) => b.chipFamily === chip)
      .map((b) => b.id),
  )
  const candidates = (await listFirmware(services.store)).filter((f) => boardIds.has(f.boardId))
  const md5s = new Map<string, string>()
  const md5At = async (offset: number, size: number): Promise<string> => {
    const key = `${offset}:${size}`
    if (!md5s.has(key))
      md5s.set(key, await session.step(readFlashMd5(session.loader, offset, size, true)))
    return md5s.get(key)!
  }
  for (const firmware of candidates) {
    let all = true
    for (const part of firmware.parts) {
      if ((await md5At(part.offset, part.size)) !== part.md5) {
        all = false
        break
      }
    }
    if (all) {
      const { id, sha256, name, version, boardId } = firmware
      return { id, sha256, name, version, boardId }
    }
  }
  return null
}
