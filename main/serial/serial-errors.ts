import { FieldFlashError } from '../shared/errors'

/**
 * Turns an error from opening or using a serial port into one of FieldFlash's codes, with the next
 * step for the technician. serialport reports errno names in its messages (Linux/macOS) or Win32
 * texts (Windows: "Access denied" there means another program holds the port).
 */
export function describeSerialError(
  path: string,
  error: unknown,
  platform = process.platform,
): FieldFlashError {
  const err = error as NodeJS.ErrnoException | undefined
  const text = `${err?.code ?? ''} ${err?.message ?? String(error)}`
  const make = (
    code: ConstructorParameters<typeof FieldFlashError>[0],
    message: string,
  ): FieldFlashError => new FieldFlashError(code, message, undefined, { cause: error })

  if (platform === 'win32' && /access (is )?denied/i.test(text)) {
    return make(
      'port_busy',
      `${path} is in use by another program. Close other serial monitors (Arduino IDE, PlatformIO, PuTTY), then retry.`,
    )
  }
  if (/EACCES|permission denied/i.test(text)) {
    const hint =
      platform === 'linux'
        ? ' Add your user to the dialout group: `sudo usermod -aG dialout $USER` (uucp on Arch), then log out and back in. For native-USB boards a udev rule may also be needed.'
        : ' Check that your user may open serial ports.'
    return make('permission_denied', `Permission denied on ${path}.${hint}`)
  }
  if (
    /cannot lock port|EBUSY|resource temporarily unavailable|EAGAIN|port is opening|already open/i.test(
      text,
    )
  ) {
    return make(
      'port_busy',
      `${path} is busy: another program (a serial monitor, PlatformIO, screen, ModemManager) holds it. Close it, then retry.`,
    )
  }
  if (/ENOENT|no such file|file not found|ENXIO|no such device/i.test(text)) {
    return make(
      'port_not_found',
      `There is no serial port at ${path}: the board is unplugged, or its port has another name. Check the USB cable (a charge-only cable shows no port) and re-plug the board.${platform === 'win32' ? ' If no port appears, install the USB bridge driver (CP210x or CH340).' : ''}`,
    )
  }
  if (/EIO|input\/output error|disconnected|ENODEV/i.test(text)) {
    return make(
      'device_lost',
      `The board on ${path} stopped answering or was unplugged. Re-plug it and retry.`,
    )
  }
  return make('io_error', `Serial error on ${path}: ${err?.message ?? String(error)}`)
}
