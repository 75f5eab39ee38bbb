import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { listFromSysfs, listPorts } from '../../main/serial/list-ports'
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
      }),
      expect.objectContaining({
        path: '/dev/ttyUSB0',
        vid: '10c4',
        pid: 'ea60',
        bridge: 'Silicon Labs CP210x',
        serialNumber: '0001',
        boardIds: expect.arrayContaining(['esp32-devkitc']),
      }),
    ])
  })
})
