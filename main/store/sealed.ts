import { FieldFlashError } from '../shared/errors'

// A station of a shared registry that holds no registry key (or another one) reads the secrets
// still sealed: it can do everything but what puts a secret in plaintext somewhere (a template, a
// config partition, broker files, a board's registration). Those places ask for the secret here.

/** A value still sealed (`ffs2.<key id>.…`, registry-key.ts). */
export function isSealed(value: string): boolean {
  return /^ffs2\.[0-9a-f]{16}\./.test(value)
}

/** The secret in plaintext, or the error saying this station cannot open it (and what to do). */
export function openedSecret(value: string, what: string): string {
  if (!isSealed(value)) return value
  throw new FieldFlashError(
    'key_mismatch',
    `This station cannot open ${what}: it is sealed with the site's registry key, which this station does not hold (see "fieldflash doctor"). Copy the site's registry-key file from a station that holds it into this station's data directory (owner-only), then try again; nothing was changed.`,
  )
}
