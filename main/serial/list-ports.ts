import { SerialPort } from 'serialport'
import type { BoardCatalog } from '../boards/catalog'
import { bridgeName, isNativeEspressifUsb } from './usb-bridges'

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

type RawPort = Awaited<ReturnType<typeof SerialPort.list>>[number]

/** Lists serial ports with bridge names and matching boards; cheap enough to poll for hot-plug. */
export async function listPorts(
  catalog: BoardCatalog,
  list: () => Promise<RawPort[]> = () => SerialPort.list(),
): Promise<PortView[]> {
  const ports = await list()
  return ports
    .map((p) => {
      const vid = p.vendorId ? p.vendorId.toLowerCase().padStart(4, '0') : null
      const pid = p.productId ? p.productId.toLowerCase().padStart(4, '0') : null
      return {
        path: p.path,
        manufacturer: p.manufacturer ?? null,
        serialNumber: p.serialNumber ?? null,
        vid,
        pid,
        bridge: bridgeName(vid, pid),
        nativeUsb: isNativeEspressifUsb(vid),
        boardIds: vid && pid ? catalog.matchUsb(vid, pid).map((b) => b.id) : [],
      }
    })
    .sort((a, b) => Number(b.vid !== null) - Number(a.vid !== null) || a.path.localeCompare(b.path))
}
