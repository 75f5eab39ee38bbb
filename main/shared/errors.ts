import { redactTokens } from './redact'

/**
 * The closed set of error codes FieldFlash reports. The UI and the CLI switch on the code, never on
 * message text; every message says what to do next and never carries a secret.
 */
export type ErrorCode =
  | 'invalid_input'
  | 'not_found'
  | 'already_exists'
  | 'invalid_state'
  | 'site_not_configured'
  | 'store_corrupt'
  | 'store_unsafe'
  | 'store_busy'
  /** The registry's database server cannot be reached (nothing was written). */
  | 'store_unreachable'
  /** This station's registry key does not open the shared registry's secrets. */
  | 'key_mismatch'
  | 'io_error'
  /** Another job is writing this device's board (one board per device at a time). */
  | 'device_busy'
  // Serial ports and boards
  | 'port_not_found'
  | 'port_busy'
  | 'permission_denied'
  | 'device_lost'
  | 'not_in_bootloader'
  | 'link_failed'
  | 'timeout'
  | 'cancelled'
  // Firmware images and flashing
  | 'invalid_image'
  | 'image_too_large'
  | 'chip_mismatch'
  | 'verify_failed'
  /** The board was flashed and verified, but the registry could not record it. */
  | 'not_recorded'

/** The codes that always mean the input is at fault (also an unknown or duplicate UID). */
const BAD_INPUT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'invalid_input',
  'not_found',
  'already_exists',
  'invalid_image',
])

/** An expected failure with a code and a user-facing message. */
export class FieldFlashError extends Error {
  override readonly name = 'FieldFlashError'
  /**
   * True when what the user gave (a value, a file) is at fault, so the same request can never
   * succeed (the CLI exits 2); false when the world is (a port, a board, the disk).
   */
  readonly badInput: boolean
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The input field at fault, for `invalid_input`. */
    readonly field?: string,
    options?: { cause?: unknown; badInput?: boolean },
  ) {
    super(message, options)
    this.badInput = options?.badInput ?? BAD_INPUT_CODES.has(code)
  }
}

/** Whether a failure (an error code, maybe marked) is the input's fault. */
export function isBadInput(failure: { code: string; badInput?: boolean }): boolean {
  return failure.badInput ?? BAD_INPUT_CODES.has(failure.code as ErrorCode)
}

/** A bad value: the message names the field and the rule it broke. */
export function invalidInput(field: string, rule: string): FieldFlashError {
  return new FieldFlashError('invalid_input', `${field}: ${rule}`, field)
}

/** Errors cross process boundaries as values, because Electron strips custom error properties. */
export type Result<T> =
  | { ok: true; value: T }
  | { ok: false; code: ErrorCode | 'internal'; message: string; field?: string }

/** Runs `fn` and turns a thrown error into a `Result`; unknown errors become `internal`. */
export async function toResult<T>(fn: () => Promise<T> | T): Promise<Result<T>> {
  try {
    return { ok: true, value: await fn() }
  } catch (error) {
    if (error instanceof FieldFlashError) {
      // A token the user typed where a name goes never comes back in a message.
      const message = redactTokens(error.message)
      return { ok: false, code: error.code, message, field: error.field }
    }
    return { ok: false, code: 'internal', message: 'Unexpected error; see the log for details.' }
  }
}
