/** At most this many operations are recorded for one device in one boot of a board. */
export const MAX_OPERATIONS_PER_BOOT = 3
/** And at most this many for one device per minute, across boots. */
export const MAX_OPERATIONS_PER_MINUTE = 10

/**
 * Keeps a console from flooding the registry: a board printing banners with ever-new tokens (a
 * firmware bug, or someone probing) would otherwise record one provisioning operation per line.
 * Banners past the limit are still judged and shown; they are just not recorded.
 */
export class OperationRecordLimiter {
  private perBoot = new Map<string, number>()
  private recent = new Map<string, number[]>()

  /** A new boot of the board: each device may record again, within the per-minute limit. */
  newBoot(): void {
    this.perBoot.clear()
  }

  /** True when an operation for `uid` may be recorded now; counts it if so. */
  allow(uid: string, nowMs: number): boolean {
    const boot = this.perBoot.get(uid) ?? 0
    const minute = (this.recent.get(uid) ?? []).filter((t) => nowMs - t < 60_000)
    if (boot >= MAX_OPERATIONS_PER_BOOT || minute.length >= MAX_OPERATIONS_PER_MINUTE) {
      this.recent.set(uid, minute)
      return false
    }
    this.perBoot.set(uid, boot + 1)
    this.recent.set(uid, [...minute, nowMs])
    return true
  }
}

/** What the console says once when recording stops for a device. */
export function recordLimitMessage(uid: string): string {
  return `This board keeps showing new banners for ${uid}: no more operations are recorded for it until the board reboots (at most ${MAX_OPERATIONS_PER_BOOT} per boot and ${MAX_OPERATIONS_PER_MINUTE} per minute). Its banners are still checked and shown.`
}
