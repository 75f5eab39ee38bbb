import { readdir, readFile, realpath } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { SerialPort } from 'serialport'
import type { BoardCatalog } from '../boards/catalog'
import type { PortView } from './port-types'
import { bridgeName, isNativeEspressifUsb, usbId } from './usb-bridges'

export type { PortView }

export type RawPort = Awaited<ReturnType<typeof SerialPort.list>>[number]

/**
 * The system's serial ports as serialport lists them. On Linux serialport asks `udevadm`, which
 * minimal systems and containers lack; then the ports are read from sysfs instead (USB ids,
 * maker and serial number included), rather than failing to list any.
 */
export async function listSystemPorts(): Promise<RawPort[]> {
  try {
    return await SerialPort.list()
  } catch (error) {
    if (process.platform !== 'linux' || (error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw error
    }
    return listFromSysfs()
  }
}

/** USB and ACM serial ports from sysfs's tty class, with the ids of the USB device above each. */
export async function listFromSysfs(ttyClass = '/sys/class/tty'): Promise<RawPort[]> {
  const names = (await readdir(ttyClass).catch(() => [] as string[])).filter((name) =>
    /^tty(USB|ACM)\d+$/.test(name),
  )
  return Promise.all(
    names.map(async (name): Promise<RawPort> => {
      const usb = await usbDeviceOf(join(ttyClass, name, 'device'))
      const attribute = async (file: string): Promise<string | undefined> =>
        usb ? (await readFile(join(usb, file), 'utf8').catch(() => undefined))?.trim() : undefined
      return {
        path: `/dev/${name}`,
        manufacturer: await attribute('manufacturer'),
        serialNumber: await attribute('serial'),
        vendorId: await attribute('idVendor'),
        productId: await attribute('idProduct'),
        pnpId: undefined,
        // The USB device's bus position (1-1.2: bus 1, port 1, then port 2 of its hub).
        locationId: usb ? `usb ${basename(usb)}` : undefined,
      }
    }),
  )
}

/** The USB device directory above a tty's device (the first ancestor with an idVendor). */
async function usbDeviceOf(deviceLink: string): Promise<string | null> {
  let dir = await realpath(deviceLink).catch(() => null)
  for (let depth = 0; dir && depth < 4; depth++, dir = dirname(dir)) {
    if (
      await readFile(join(dir, 'idVendor')).then(
        () => true,
        () => false,
      )
    )
      return dir
  }
  return null
}

/** Lists serial ports with bridge names and matching boards; cheap enough to poll for hot-plug. */
export async function listPorts(
  catalog: BoardCatalog,
  list: () => Promise<RawPort[]> = listSystemPorts,
  byPathDir = BY_PATH_DIR,
): Promise<PortView[]> {
  const [ports, byPath] = await Promise.all([list(), byPathNames(byPathDir)])
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
        location: byPath.get(p.path) ?? p.locationId ?? null,
      }
    })
    .sort((a, b) => Number(b.vid !== null) - Number(a.vid !== null) || a.path.localeCompare(b.path))
}

const BY_PATH_DIR = '/dev/serial/by-path'

/** udev's names for where each port is plugged in, by the port's path (none off Linux). */
async function byPathNames(dir: string): Promise<Map<string, string>> {
  const names = new Map<string, string>()
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const target = await realpath(join(dir, name)).catch(() => null)
    if (target) names.set(target, name)
  }
  return names
}

/**
 * Where the port at `path` is plugged in (see PortView.location): from `listed` when it says,
 * else from /dev/serial/by-path, else the path itself.
 */
export async function slotOf(
  path: string,
  listed?: Pick<PortView, 'path' | 'location'>[],
  byPathDir = BY_PATH_DIR,
): Promise<string> {
  const known = listed?.find((p) => p.path === path)?.location
  if (known) return known
  const target = await realpath(path).catch(() => path)
  return (await byPathNames(byPathDir)).get(target) ?? path
}
