import { FieldFlashError } from '../shared/errors'

/**
 * The right to use one serial port in this process, from the moment a job takes it until it
 * gives it back: a flash, a console, a whole board session (flash → reset → console → approve →
 * register) holds it throughout, so no other job of this process opens the port in between.
 * Other processes are kept out by the operating system's exclusive open.
 */
export interface PortLease {
  /** The port's path: where the board is now (it changes when the lease follows the board). */
  readonly path: string
  /** Who holds it, in words ("provisioning pump-0001"), for the refusal another job gets. */
  readonly holder: string
  /** False once released. */
  readonly held: boolean
  /**
   * The board re-enumerated under `path` (a native-USB board after its reset): the lease moves
   * there, so the job keeps its board and nothing else of this process takes the new port.
   * Refused (port_busy) when another job already holds `path`.
   */
  follow(path: string): void
  release(): void
}

const leases = new Map<string, PortLease>()

/** Takes the port at `path` for `holder`, or refuses (port_busy) naming who holds it. */
export function leasePort(path: string, holder: string): PortLease {
  const current = leases.get(path)
  if (current) {
    throw new FieldFlashError(
      'port_busy',
      `${path} is in use here: ${current.holder}. Wait for it to end or stop it.`,
    )
  }
  let held = true
  let where = path
  const lease: PortLease = {
    get path() {
      return where
    },
    holder,
    get held() {
      return held
    },
    follow(next) {
      if (!held || next === where) return
      const other = leases.get(next)
      if (other) {
        throw new FieldFlashError(
          'port_busy',
          `The board on ${where} came back as ${next}, which is in use here: ${other.holder}.`,
        )
      }
      if (leases.get(where) === lease) leases.delete(where)
      where = next
      leases.set(where, lease)
    },
    release() {
      if (!held) return
      held = false
      if (leases.get(where) === lease) leases.delete(where)
    },
  }
  leases.set(path, lease)
  return lease
}

/**
 * `lease` when it is a live lease of `path` (the caller's job already holds the port), otherwise
 * a new lease taken for `holder` and released by `done`. What opens a port calls this, so a job
 * holding the port passes its lease on and everything else must take its own.
 */
export function usePort(
  path: string,
  holder: string,
  lease?: PortLease | null,
): { lease: PortLease; done: () => void } {
  if (lease) {
    if (!lease.held || lease.path !== path) {
      throw new Error(`usePort: the lease given is for ${lease.path} and held=${lease.held}`)
    }
    return { lease, done: () => undefined }
  }
  const own = leasePort(path, holder)
  return { lease: own, done: () => own.release() }
}

/** Who holds `path` in this process, or null. */
export function portHolder(path: string): string | null {
  return leases.get(path)?.holder ?? null
}
