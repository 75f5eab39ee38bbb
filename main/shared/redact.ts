import { REGISTRATION_TOKEN_PREFIX, TOKEN_PREFIX } from './token-prefix'

/** A provisioning or registration token anywhere in a text (its shape, whatever the checksum says). */
const TOKEN_IN_TEXT = new RegExp(`(${TOKEN_PREFIX}|${REGISTRATION_TOKEN_PREFIX})[0-9a-z]{8,}`, 'gi')

/**
 * The text with every provisioning token replaced: for logs, audit values and error messages,
 * where no token may ever be written whatever a caller passed.
 */
export function redactTokens(text: string): string {
  return text.replace(TOKEN_IN_TEXT, (match) => `${match.slice(0, 5).toLowerCase()}[redacted]`)
}
