import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { expect } from 'vitest'
import {
  espImage,
  FIELDFLASH_4MB,
  partitionTable,
  singleSegmentImage,
  writeFiles,
} from '../flash/firmware/firmware-fixtures'
import { SAMPLE_SITE_FLAGS, tempDir } from './fixtures'
import { cli } from './run-cli'
import { buildBaseFirmware } from '../renderer/harness/test-firmware'

export const BOOTLOADER = espImage({ chipId: 0, segments: [4096, 8192] })
// Incompressible, so the write takes real wire time and an unplug lands in the middle of it.
export const APP = singleSegmentImage(randomBytes(96 * 1024), 0x3f400020)

/**
 * A registry (through the CLI) with the sample site, the devices `uids` on esp32-devkitc and the
 * board's base firmware imported: what `provision` needs.
 */
export async function siteWithBaseFirmware(uids: string[] = ['pump-0001']): Promise<string> {
  const dataDir = await tempDir('fieldflash-data-')
  expect((await cli(dataDir, 'site', 'set', ...SAMPLE_SITE_FLAGS)).code).toBe(0)
  for (const uid of uids) {
    const added = await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', uid)
    expect(added.code, added.err).toBe(0)
  }
  const build = join(await tempDir('fieldflash-pio-'), '.pio', 'build', 'generic')
  await writeFiles(build, {
    'bootloader.bin': BOOTLOADER,
    'partitions.bin': partitionTable(FIELDFLASH_4MB),
    'firmware.bin': APP,
  })
  const imported = await cli(dataDir, 'firmware', 'import', build, '--board', 'esp32-devkitc')
  expect(imported.code, imported.err).toBe(0)
  return dataDir
}

/**
 * A registry (through the CLI) with the sample site and the host-built base firmware in its
 * library: a bench board written with it boots the firmware's own C code (verify, register).
 */
export async function siteWithHostFirmware(): Promise<string> {
  const dataDir = await tempDir('fieldflash-data-')
  expect((await cli(dataDir, 'site', 'set', ...SAMPLE_SITE_FLAGS)).code).toBe(0)
  const build = await buildBaseFirmware()
  const imported = await cli(dataDir, 'firmware', 'import', build, '--board', 'esp32-devkitc')
  expect(imported.code, imported.err).toBe(0)
  return dataDir
}
