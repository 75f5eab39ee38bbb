import type { BoardCatalog } from '../main/boards/catalog'
import { regenerateToken } from '../main/credentials/tokens'
import { addDevice } from '../main/devices/devices'
import { confirmRegistration, issueRegistration } from '../main/registration/registrations'
import type { FieldFlashStore } from '../main/store/store'
import { approveOperation, recordOperation } from '../main/verification/operations'

// A registry with devices at every stage, made through the same services the app and the CLI use
// (a token minted, a banner recorded and approved, a registration issued and acknowledged) but
// with no board on a cable: for tests and benchmarks of what reads the registry (exports).

export type SeedStage = 'added' | 'minted' | 'approved' | 'registered'

export interface SeededDevice {
  uid: string
  /** The provisioning token in plaintext (a test checks it never leaves the laptop). */
  token: string | null
  /** The registration token in plaintext, when registered. */
  registrationToken: string | null
  registrationKey: string | null
  mac: string
}

/**
 * Takes a new device to `stage`; `batch` devices share one transaction (one durable commit),
 * so a benchmark can seed thousands quickly.
 */
export async function seedDevices(
  store: FieldFlashStore,
  catalog: BoardCatalog,
  request: {
    uids: string[]
    stage: SeedStage
    boardId?: string
    approver?: string
    now?: Date
    batch?: number
  },
): Promise<SeededDevice[]> {
  const { uids, stage, boardId = 'esp32-devkitc', approver = 'Seed Tech', now } = request
  const batch = request.batch ?? 1
  const seeded: SeededDevice[] = []
  for (let start = 0; start < uids.length; start += batch) {
    await store.write(async () => {
      for (const uid of uids.slice(start, start + batch)) {
        seeded.push(await seedOne(store, catalog, { uid, stage, boardId, approver, now }))
      }
    })
  }
  return seeded
}

async function seedOne(
  store: FieldFlashStore,
  catalog: BoardCatalog,
  o: { uid: string; stage: SeedStage; boardId: string; approver: string; now?: Date },
): Promise<SeededDevice> {
  await addDevice(store, catalog, { uid: o.uid, boardId: o.boardId }, o.now)
  const mac = macOf(o.uid)
  const seeded: SeededDevice = {
    uid: o.uid,
    token: null,
    registrationToken: null,
    registrationKey: null,
    mac,
  }
  if (o.stage === 'added') return seeded
  const minted = await regenerateToken(store, o.uid, o.now)
  seeded.token = minted.token
  if (o.stage === 'minted') return seeded
  // The banner the board would print, recorded and approved as a technician would.
  const recorded = (await recordOperation(
    store,
    {
      banner: {
        uid: o.uid,
        fingerprint: minted.view.fingerprint,
        code: minted.view.expectedCode,
        mac,
      },
      port: '/dev/ttyUSB0',
    },
    o.now,
  ))!
  await approveOperation(
    store,
    { uid: o.uid, operationId: recorded.operation.id, approver: o.approver },
    o.now,
  )
  if (o.stage === 'approved') return seeded
  const issued = await issueRegistration(store, o.uid, o.now)
  await confirmRegistration(store, o.uid, issued.record.fingerprint, mac, o.now)
  seeded.registrationToken = issued.token
  seeded.registrationKey = issued.registrationKey
  return seeded
}

/** A MAC address of Espressif's range, derived from the UID so a seed is repeatable. */
function macOf(uid: string): string {
  let h = 2166136261
  for (const c of uid) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0
  const bytes = [0x24, 0x0a, 0xc4, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff]
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':')
}
