import { describe, expect, it } from 'vitest'
import { SerialPort } from 'serialport'
import { describeSerialError } from '../../main/serial/serial-errors'
import { SerialportDevice } from '../../main/serial/serialport-device'
import { startPtyEmulator } from '../../devkit/pty'

const errno = (code: string, message: string) => Object.assign(new Error(message), { code })

describe('describeSerialError', () => {
  it('tells a Linux user exactly how to get permission for the port', () => {
    const error = describeSerialError(
      '/dev/ttyUSB0',
      errno('EACCES', 'Error: Permission denied, cannot open /dev/ttyUSB0'),
      'linux',
    )
    expect(error.code).toBe('permission_denied')
    expect(error.message).toContain('sudo usermod -aG dialout $USER')
  })

  it('reads Windows "Access denied" as another program holding the port', () => {
    const error = describeSerialError('COM3', new Error('Opening COM3: Access denied'), 'win32')
    expect(error.code).toBe('port_busy')
    expect(error.message).toMatch(/Close other serial monitors/)
  })

  it('names an unplugged port and suggests the cable and driver', () => {
    expect(
      describeSerialError('/dev/ttyUSB9', errno('ENOENT', 'No such file or directory'), 'linux'),
    ).toMatchObject({
      code: 'port_not_found',
    })
    expect(describeSerialError('COM9', new Error('File not found'), 'win32').message).toMatch(
      /CP210x or CH340/,
    )
  })
})

describe('SerialportDevice', () => {
  it('reports a port another program holds as busy, and opens once it is free', async () => {
    const board = await startPtyEmulator({ chip: 'ESP32' })
    const holder = new SerialPort({
      path: board.clientPath,
      baudRate: 115200,
      autoOpen: false,
      lock: true,
    })
    try {
      await new Promise<void>((resolve, reject) => holder.open((e) => (e ? reject(e) : resolve())))
      const device = new SerialportDevice({ path: board.clientPath })
      await expect(device.open({ baudRate: 115200 })).rejects.toMatchObject({ code: 'port_busy' })
      await new Promise<void>((resolve) => holder.close(() => resolve()))
      await device.open({ baudRate: 115200 })
      expect(device.readable).not.toBeNull()
      await device.close()
    } finally {
      await board.stop()
    }
  })
})
