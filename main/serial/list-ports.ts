import { SerialPort } from 'serialport'
import type { BoardCatalog } from '../boards/catalog'
import type { PortView } from './port-types'
import { bridgeName, isNativeEspressifUsb, usbId } from './usb-bridges'

export type { PortView }

type RawPort = Awaited<ReturnType<typeof SerialPort.list>>[number]

/** Lists serial ports with bridge names and matching boards; cheap enough to poll for hot-plug. */
export async function listPorts(
  catalog: BoardCatalog,
  list: () => Promise<RawPort[]> = () => SerialPort.list(),
): Promise<PortView[]> {
  const ports = await list()
  return ports
    .map((p) => {
      const vid = usbId(p.vendorId)
      const pid = usbId(p.productId)
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
