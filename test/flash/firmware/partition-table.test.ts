import { describe, expect, it } from 'vitest'
import { appPartitions, parsePartitionTable } from '../../../main/flash/firmware/partition-table'
import {
  ARDUINO_DEFAULT_4MB,
  FACTORY_1MB,
  expectFirmwareError,
  partitionTable,
} from './firmware-fixtures'

describe('parsePartitionTable', () => {
  it('reads every entry with its label, type, subtype, offset and size, and checks the MD5', () => {
    const table = parsePartitionTable(partitionTable(ARDUINO_DEFAULT_4MB), 'partitions.bin')
    expect(table.hasMd5).toBe(true)
    expect(table.entries.map((entry) => entry.label)).toEqual([
      'nvs',
      'otadata',
      'app0',
      'app1',
      'spiffs',
      'coredump',
    ])
    expect(appPartitions(table)).toEqual([
      { label: 'app0', type: 'app', subtype: 'ota_0', offset: 0x10000, size: 0x140000, flags: 0 },
      { label: 'app1', type: 'app', subtype: 'ota_1', offset: 0x150000, size: 0x140000, flags: 0 },
    ])
    expect(table.entries[1]).toMatchObject({ type: 'data', subtype: 0, offset: 0xe000 })
  })

  it('reads a factory app partition and a table without an MD5 entry', () => {
    const table = parsePartitionTable(partitionTable(FACTORY_1MB, { md5: false }), 'p.bin')
    expect(table.hasMd5).toBe(false)
    expect(appPartitions(table)).toEqual([
      {
        label: 'factory',
        type: 'app',
        subtype: 'factory',
        offset: 0x10000,
        size: 0x100000,
        flags: 0,
      },
    ])
  })

  it('refuses a file that is not a partition table', async () => {
    await expectFirmwareError(
      () => parsePartitionTable(new Uint8Array(0xc00), '/b/partitions.bin'),
      'invalid_partition_table',
      '/b/partitions.bin: not a partition table (it does not start with the bytes AA 50)',
      'from the same build',
    )
  })

  it('refuses an entry without the AA 50 magic bytes, naming where', async () => {
    const table = partitionTable(FACTORY_1MB, { md5: false })
    table[32] = 0x00
    await expectFirmwareError(
      () => parsePartitionTable(table, 'p.bin'),
      'invalid_partition_table',
      'entry 2 at 0x20 lacks the AA 50 magic bytes',
    )
  })

  it('refuses a table whose MD5 entry does not match its entries', async () => {
    const table = partitionTable(FACTORY_1MB)
    table[8] = table[8]! ^ 0x01
    await expectFirmwareError(
      () => parsePartitionTable(table, 'p.bin'),
      'invalid_partition_table',
      'its MD5 entry at 0x60 does not match',
    )
  })

  it('refuses an empty table', async () => {
    await expectFirmwareError(
      () => parsePartitionTable(new Uint8Array(0xc00).fill(0xff), 'p.bin'),
      'invalid_partition_table',
      'it lists no partitions',
    )
  })

  it('accepts, as the chip does, an image that ends before its end marker', () => {
    // Written into an erased sector, the bytes after the image read 0xFF: the end marker.
    const full = partitionTable(FACTORY_1MB, { md5: false })
    const entries = parsePartitionTable(full, 'p.bin').entries
    const cut = full.subarray(0, entries.length * 32)
    expect(parsePartitionTable(cut, 'p.bin').entries).toEqual(entries)
  })

  it('refuses an image cut inside an entry, and 0xC00 bytes of entries with no end marker', async () => {
    const full = partitionTable(FACTORY_1MB, { md5: false })
    await expectFirmwareError(
      () => parsePartitionTable(full.subarray(0, 40), 'p.bin'),
      'invalid_partition_table',
      'it ends in the middle of entry 2',
    )
    const entry = full.subarray(0, 32)
    const noEnd = new Uint8Array(0xc00)
    for (let at = 0; at < 0xc00; at += 32) noEnd.set(entry, at)
    await expectFirmwareError(
      () => parsePartitionTable(noEnd, 'p.bin'),
      'invalid_partition_table',
      'no end-of-table marker',
    )
  })
})
