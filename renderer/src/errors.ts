import type { Failure } from './api'

/**
 * A headline for every error code. The renderer decides by code, never by message text; the
 * message from main follows the headline and says what to do next.
 */
export function errorTitle(code: Failure['code']): string {
  switch (code) {
    case 'invalid_input':
      return 'Please check the input'
    case 'not_found':
      return 'Not found'
    case 'already_exists':
      return 'Already exists'
    case 'invalid_state':
      return 'Not possible right now'
    case 'site_not_configured':
      return 'Set up the site first'
    case 'store_corrupt':
      return 'The data file cannot be read'
    case 'store_unsafe':
      return 'The data folder is not safe to use'
    case 'store_busy':
      return 'The data file is busy'
    case 'store_unreachable':
      return 'The registry database cannot be reached'
    case 'key_mismatch':
      return "This station's registry key does not fit"
    case 'io_error':
      return 'Could not read or write a file'
    case 'device_busy':
      return 'This device is being provisioned elsewhere'
    case 'port_not_found':
      return 'The serial port is gone'
    case 'port_busy':
      return 'The serial port is busy'
    case 'permission_denied':
      return 'No permission to open the port'
    case 'device_lost':
      return 'The board was disconnected'
    case 'not_in_bootloader':
      return 'The board is not in download mode'
    case 'link_failed':
      return 'The serial link failed'
    case 'timeout':
      return 'The board stopped answering'
    case 'cancelled':
      return 'Cancelled'
    case 'invalid_image':
      return 'The firmware image is not valid'
    case 'image_too_large':
      return 'The firmware does not fit'
    case 'chip_mismatch':
      return 'Wrong chip for this board'
    case 'verify_failed':
      return 'Verification of the written flash failed'
    case 'not_recorded':
      return 'Flashed, but not recorded'
    case 'internal':
      return 'Something went wrong'
  }
}

/** True for the codes after which plugging the board back in and retrying is the fix. */
export function isHardwareProblem(code: Failure['code']): boolean {
  return (
    code === 'port_not_found' ||
    code === 'device_lost' ||
    code === 'timeout' ||
    code === 'link_failed' ||
    code === 'not_in_bootloader' ||
    code === 'port_busy' ||
    code === 'permission_denied'
  )
}
