import { describe, expect, it } from 'vitest'
import { leasePort, portHolder } from '../../main/leases/port-lease'

describe('a port lease', () => {
  it('follows its board to a new port name, keeping others off both, and frees where it ended', () => {
    const lease = leasePort('/dev/ttyACM0', 'provisioning pump-0001')
    expect(() => leasePort('/dev/ttyACM0', 'the serial console')).toThrow(
      /in use here: provisioning pump-0001/,
    )
    lease.follow('/dev/ttyACM1')
    expect(lease.path).toBe('/dev/ttyACM1')
    expect(portHolder('/dev/ttyACM1')).toBe('provisioning pump-0001')
    // The old name is free for the next board plugged in there.
    expect(portHolder('/dev/ttyACM0')).toBeNull()

    const other = leasePort('/dev/ttyACM2', 'provisioning pump-0002')
    expect(() => lease.follow('/dev/ttyACM2')).toThrow(
      /came back as \/dev\/ttyACM2, which is in use here: provisioning pump-0002/,
    )
    expect(lease.path).toBe('/dev/ttyACM1')

    lease.release()
    other.release()
    expect(portHolder('/dev/ttyACM1')).toBeNull()
    expect(portHolder('/dev/ttyACM2')).toBeNull()
  })
})
