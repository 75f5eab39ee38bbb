// No Node imports here: the renderer sees these types through the IPC contract.

/** A serial port as the app shows it. */
export interface PortView {
  path: string
  manufacturer: string | null
  serialNumber: string | null
  /** Lowercase 4-digit hex, or null for ports that are not USB. */
  vid: string | null
  pid: string | null
  bridge: string | null
  nativeUsb: boolean
  /**
   * Where it is plugged in, which stays with the socket when boards are swapped: its name under
   * /dev/serial/by-path (Linux), else the USB bus position (sysfs) or serialport's locationId
   * (macOS, Windows); null when nothing says.
   */
  location: string | null
  /** Catalog boards that ship with this bridge. */
  boardIds: string[]
}
