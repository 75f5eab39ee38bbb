import type { TokenState } from './api'

/** A time for people, in their locale: "23 Nov 2026, 14:05". */
export function formatTime(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined) return '—'
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return String(iso)
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

export function formatClock(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour12: false })
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`
}

// One copy of the progress rules, shared with the CLI.
export {
  formatRate as formatSpeed,
  formatTimeLeft as formatSecondsLeft,
} from '../../common/progress-text'

export const TOKEN_STATE_TEXT: Record<TokenState, string> = {
  issued: 'Issued — current',
  superseded: 'Superseded',
  consumed: 'Consumed — used by an approval',
  revoked: 'Revoked',
  expired: 'Expired',
}
