import type { RegistrationStatus, RegistrationView, TokenState, TokenView } from './api'

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

export const TOKEN_ORIGIN_TEXT: Record<TokenView['origin'], string> = {
  template: 'Template download',
  regenerate: 'Regeneration',
  'config-partition': 'Config partition file',
  provision: 'Provisioning',
}

/** Where a device's registration stands, in words. */
export const REGISTRATION_STATUS_TEXT: Record<RegistrationStatus, { text: string; tone: string }> =
  {
    none: { text: 'Not registered', tone: 'muted' },
    registered: { text: 'Registered', tone: 'success' },
    expiring: { text: 'Registered — expires soon', tone: 'warning' },
    expired: { text: 'Registration expired', tone: 'danger' },
    revoked: { text: 'Registration revoked', tone: 'danger' },
  }

export const REGISTRATION_STATE_TEXT: Record<RegistrationView['state'], string> = {
  pending: 'Pending — sent, not acknowledged',
  active: 'Active — held by the board',
  failed: 'Failed — never reached the board',
  superseded: 'Superseded by a refresh',
  revoked: 'Revoked',
  expired: 'Expired',
}
