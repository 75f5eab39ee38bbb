import { FieldFlashError } from '../shared/errors'

/**
 * The right to use one serial port in this process, from the moment a job takes it until it
 * gives it back: a flash, a console, a whole board session (flash → reset → console → approve →
 * register) holds it throughout, so no other job of this process opens the port in between.
 * Other processes are kept out by the operating system's exclusive open.
 */
export interface PortLease {
  readonly path: string
  /** Who holds it, in words ("provisioning pump-0001"), for the refusal another job gets. */
  readonly holder: string
  /** False once released. */
  readonly held: boolean
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
  const lease: PortLease = {
    path,
    holder,
    get held() {
      return held
    },
    release() {
      if (!held) return
      held = false
      if (leases.get(path) === lease) leases.delete(path)
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
