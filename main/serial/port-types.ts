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
  /** Catalog boards that ship with this bridge. */
  boardIds: string[]
}
