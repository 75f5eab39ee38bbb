import { FieldFlashError, type ErrorCode } from '../../shared/errors'

/** Why a firmware input cannot be flashed; the UI switches on these, never on message text. */
export const FIRMWARE_ERROR_CODES = [
  'not_found',
  'invalid_input',
  'remote_path',
  'empty_file',
  'invalid_image',
  'invalid_partition_table',
  'chip_mismatch',
  'image_too_large',
  'exceeds_flash',
  'overlap',
  'misaligned',
  'io_error',
] as const

export type FirmwareErrorCode = (typeof FIRMWARE_ERROR_CODES)[number]

const GENERAL_CODES: Record<FirmwareErrorCode, ErrorCode> = {
  not_found: 'not_found',
  io_error: 'io_error',
  invalid_input: 'invalid_input',
  remote_path: 'invalid_input',
  empty_file: 'invalid_input',
  invalid_image: 'invalid_image',
  invalid_partition_table: 'invalid_image',
  chip_mismatch: 'chip_mismatch',
  image_too_large: 'image_too_large',
  exceeds_flash: 'image_too_large',
  overlap: 'invalid_input',
  misaligned: 'invalid_input',
}

/**
 * A firmware input that must not be flashed. `firmwareCode` is the precise reason; `code` is the
 * app-wide code it falls under, so `toResult` carries the message across IPC unchanged. Every one
 * but a file that cannot be read is the input's fault, so its field is `firmware`.
 */
export class FirmwareError extends FieldFlashError {
  constructor(
    readonly firmwareCode: FirmwareErrorCode,
    message: string,
    /** The file at fault, when there is one. */
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    const badInput = firmwareCode !== 'io_error'
    super(GENERAL_CODES[firmwareCode], message, badInput ? 'firmware' : undefined, {
      ...options,
      badInput,
    })
  }
}
