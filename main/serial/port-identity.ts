import { setTimeout as sleep } from 'node:timers/promises'
import { listFromSysfs, listSystemPorts } from './list-ports'
import { isNativeEspressifUsb, usbId } from './usb-bridges'

/** How a USB serial port is recognised again after it re-enumerated (perhaps under a new path). */
export interface PortIdentity {
  /** Lowercase 4-digit hex. */
  vid: string
  pid: string
  /** The USB serial number; null when the device has none (then only the same path matches). */
  serialNumber: string | null
  /** The path it was last seen under. */
  path: string
}

/** A port as a lister reports it; `listPorts`' PortView fits. */
export interface ListedPort {
  path: string
  vid: string | null
  pid: string | null
  serialNumber: string | null
}

export type PortLister = () => Promise<ListedPort[]>

/**
 * The system's ports, normalised like `listPorts` (lowercase 4-digit hex IDs). On Linux read from
 * sysfs: no child process (serialport lists through udevadm, and spawning one from a busy app
 * stalls its event loop for milliseconds), and the USB ids and serial numbers are all there.
 */
export const systemPortLister: PortLister = async () =>
  (process.platform === 'linux' ? await listFromSysfs() : await listSystemPorts()).map((p) => ({
    path: p.path,
    vid: usbId(p.vendorId),
    pid: usbId(p.productId),
    serialNumber: p.serialNumber ?? null,
  }))

/** The identity of the port at `path`, or null when it is not a USB port the lister knows. */
export async function identifyPort(path: string, list: PortLister): Promise<PortIdentity | null> {
  const port = (await list()).find((p) => p.path === path)
  if (!port?.vid || !port.pid) return null
  return {
    vid: usbId(port.vid)!,
    pid: usbId(port.pid)!,
    serialNumber: port.serialNumber,
    path,
  }
}

/** True when `port` is the device `identity` describes. */
export function matchesIdentity(port: ListedPort, identity: PortIdentity): boolean {
  if (usbId(port.vid) !== identity.vid || usbId(port.pid) !== identity.pid) {
    return false
  }
  return identity.serialNumber !== null
    ? port.serialNumber === identity.serialNumber
    : port.path === identity.path
}

/**
 * Polls the lister until the device shows up again (same VID:PID and serial number, any path) and
 * returns its path; null after `timeoutMs` or when `signal` aborts. A failing lister counts as
 * "not there yet".
 */
export async function refindPort(
  identity: PortIdentity,
  options: { list: PortLister; intervalMs?: number; timeoutMs?: number; signal?: AbortSignal },
): Promise<string | null> {
  const interval = options.intervalMs ?? 250
  const deadline = Date.now() + (options.timeoutMs ?? 15_000)
  while (!options.signal?.aborted) {
    let ports: ListedPort[] = []
    try {
      ports = await options.list()
    } catch {
      // The OS may fail a listing while a device enumerates; try again on the next round.
    }
    const found = ports.find((p) => matchesIdentity(p, identity))
    if (found) return found.path
    if (Date.now() + interval > deadline) return null
    try {
      await sleep(interval, undefined, { signal: options.signal })
    } catch {
      return null
    }
  }
  return null
}

/**
 * Whether the board behind this port comes back under a new name after a reset: a chip's own USB
 * (native USB) re-enumerates when the chip resets; a USB bridge stays, and its port going away
 * means the board was unplugged.
 */
export function reenumeratesOnReset(identity: PortIdentity | null): identity is PortIdentity {
  return identity !== null && identity.serialNumber !== null && isNativeEspressifUsb(identity.vid)
}

/** Who was last seen on each port in this process (a few dozen, the newest kept). */
const seenOnPort = new Map<string, PortIdentity>()
const SEEN_KEPT = 64

/**
 * Remembers the USB identity of the board a job wrote on `identity.path`, so a console opened
 * there after the board re-enumerated (a native-USB board after its reset) can find it again.
 */
export function rememberPort(identity: PortIdentity): void {
  seenOnPort.delete(identity.path)
  seenOnPort.set(identity.path, identity)
  if (seenOnPort.size > SEEN_KEPT) seenOnPort.delete(seenOnPort.keys().next().value!)
}

/** The identity last remembered for `path`, or null. */
export function recallPort(path: string): PortIdentity | null {
  return seenOnPort.get(path) ?? null
}
