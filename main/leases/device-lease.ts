import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { FieldFlashError } from '../shared/errors'
import type { DeviceLeaseRecord } from '../store/records'
import { requireDevice } from '../store/require-device'
import type { FieldFlashStore } from '../store/store'

// One board per device at a time. Two jobs writing the same device's credentials to two boards
// (two `fieldflash provision --device pump-0001` on two ports, the app and the CLI) would both end
// "ok" while one board silently carries a superseded token. A job that writes a device's board
// holds the device's lease in the registry from its start to its end, whichever process runs it;
// a second one is refused before anything is written, naming where the first runs.

/** How often a held lease says it is still alive. */
const HEARTBEAT_MS = 10_000
/** A lease whose holder has not said so for this long is taken over (its process is gone). */
const STALE_MS = 60_000

export interface DeviceLease {
  readonly uid: string
  /** Ends the lease (idempotent; a registry that cannot be written leaves it to go stale). */
  release(): Promise<void>
}

/**
 * Takes the device's lease for a job on `port`, or refuses (device_busy) naming the job that
 * holds it: its port, what it is, the process and host, and since when. A lease left behind by a
 * process that is gone (killed, crashed) is taken over.
 */
export async function leaseDevice(
  store: FieldFlashStore,
  request: { uid: string; port: string; holder: string; now?: () => Date },
): Promise<DeviceLease> {
  const now = request.now ?? (() => new Date())
  const id = randomBytes(16).toString('hex')
  // Every lease write waits for the registry in timers, never in the event loop: other boards'
  // streams go on while another process holds the write lock.
  await store.write(async (tx) => {
    await requireDevice(tx, request.uid)
    const held = await tx.deviceLease(request.uid)
    if (held && alive(held, now())) throw busy(held)
    const at = now().toISOString()
    await tx.putDeviceLease({
      uid: request.uid,
      id,
      holder: request.holder,
      port: request.port,
      host: hostname(),
      pid: process.pid,
      since: at,
      heartbeatAt: at,
    })
  })
  const heartbeat = setInterval(() => {
    // A busy registry skips one beat; the lease is stale only after several.
    store
      .write((tx) => tx.touchDeviceLease(request.uid, id, now().toISOString()))
      .catch(() => undefined)
  }, HEARTBEAT_MS)
  heartbeat.unref()
  let released = false
  return {
    uid: request.uid,
    async release() {
      if (released) return
      released = true
      clearInterval(heartbeat)
      await store
        .write((tx) => tx.deleteDeviceLease(request.uid, id))
        .catch(() => {
          // The registry cannot be written (the job's own result says so): without its heartbeat
          // the lease goes stale and the next job takes it over.
        })
    },
  }
}

/** Whether a job (of any process) is writing the device's board now. */
export async function deviceLeased(
  store: FieldFlashStore,
  uid: string,
  now = new Date(),
): Promise<boolean> {
  const held = await store.read((tx) => tx.deviceLease(uid))
  return held !== null && alive(held, now)
}

/** Whether the job that took `lease` may still be running. */
function alive(lease: DeviceLeaseRecord, now: Date): boolean {
  if (now.getTime() - Date.parse(lease.heartbeatAt) > STALE_MS) return false
  if (lease.host !== hostname()) return true
  try {
    process.kill(lease.pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but is another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function busy(lease: DeviceLeaseRecord): FieldFlashError {
  const where =
    lease.host === hostname() ? `process ${lease.pid}` : `process ${lease.pid} on ${lease.host}`
  return new FieldFlashError(
    'device_busy',
    `${lease.uid} is being provisioned on ${lease.port} by ${lease.holder} (${where}) since ${lease.since}: one board per device at a time. Wait for that job to end, or stop it.`,
  )
}
