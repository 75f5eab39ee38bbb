import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { listFromSysfs, listPorts, slotOf } from '../../main/serial/list-ports'
import { loadCatalog, tempDir } from '../helpers/fixtures'

/** A sysfs tree as Linux lays it out for a CP2102 (ttyUSB) and a native-USB ESP32-S3 (ttyACM). */
async function fakeSysfs(): Promise<string> {
  const root = await tempDir()
  const usb = async (device: string, attributes: Record<string, string>) => {
    await mkdir(device, { recursive: true })
    for (const [name, value] of Object.entries(attributes)) {
      await writeFile(join(device, name), `${value}\n`)
    }
  }
  const cp2102 = join(root, 'devices', 'usb1', '1-1')
  await usb(cp2102, {
    idVendor: '10c4',
    idProduct: 'ea60',
    manufacturer: 'Silicon Labs',
    serial: '0001',
  })
  await mkdir(join(cp2102, '1-1:1.0', 'ttyUSB0'), { recursive: true })
  const s3 = join(root, 'devices', 'usb1', '1-2')
  await usb(s3, { idVendor: '303a', idProduct: '1001', manufacturer: 'Espressif' })
  await mkdir(join(s3, '1-2:1.0'), { recursive: true })
  const tty = join(root, 'class', 'tty')
  await mkdir(join(tty, 'ttyUSB0'), { recursive: true })
  await symlink(join(cp2102, '1-1:1.0', 'ttyUSB0'), join(tty, 'ttyUSB0', 'device'))
  await mkdir(join(tty, 'ttyACM0'), { recursive: true })
  await symlink(join(s3, '1-2:1.0'), join(tty, 'ttyACM0', 'device'))
  await mkdir(join(tty, 'ttyS0'), { recursive: true }) // a legacy UART: not listed
  return tty
}

describe('listing ports without udevadm (minimal systems, containers)', () => {
  it('reads USB and ACM ports with their USB ids, maker and serial number from sysfs', async () => {
    const tty = await fakeSysfs()
    const ports = await listPorts(await loadCatalog(), () => listFromSysfs(tty))
    expect(ports).toEqual([
      expect.objectContaining({
        path: '/dev/ttyACM0',
        vid: '303a',
        pid: '1001',
        manufacturer: 'Espressif',
        serialNumber: null,
        nativeUsb: true,
        location: 'usb 1-2',
      }),
      expect.objectContaining({
        path: '/dev/ttyUSB0',
        vid: '10c4',
        pid: 'ea60',
        bridge: 'Silicon Labs CP210x',
        serialNumber: '0001',
        boardIds: expect.arrayContaining(['esp32-devkitc']),
        location: 'usb 1-1',
      }),
    ])
  })
})

describe('where a port is plugged in', () => {
  it('is its /dev/serial/by-path name, which stays with the socket when boards are swapped', async () => {
    const dev = await tempDir()
    const byPath = join(dev, 'serial', 'by-path')
    await mkdir(byPath, { recursive: true })
    const tty = join(dev, 'ttyUSB7')
    await writeFile(tty, '')
    const socket = 'pci-0000:00:14.0-usb-0:2.3:1.0-port0'
    await symlink(tty, join(byPath, socket))
    const raw = { path: tty, locationId: undefined, pnpId: undefined, manufacturer: undefined }
    const other = { ...raw, path: join(dev, 'ttyUSB8'), locationId: 'Port_#0004.Hub_#0001' }
    const ports = await listPorts(await loadCatalog(), async () => [raw, other], byPath)
    expect(ports.map((p) => [p.path, p.location])).toEqual([
      [tty, socket],
      // Off Linux, serialport's locationId says it.
      [other.path, 'Port_#0004.Hub_#0001'],
    ])
    expect(await slotOf(tty, undefined, byPath)).toBe(socket)
    expect(await slotOf(other.path, ports, byPath)).toBe('Port_#0004.Hub_#0001')
    // Nothing says where: the port's own name.
    expect(await slotOf(join(dev, 'ttyACM3'), undefined, byPath)).toBe(join(dev, 'ttyACM3'))
  })
})
