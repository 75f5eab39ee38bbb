// Test firmware for the bench board: a PlatformIO-style build folder (bootloader.bin,
// partitions.bin, firmware.bin) whose ESP32 app image carries the host-built firmware as the data
// of its one segment. Built from a template ZIP the app downloaded, so the flashed bytes carry
// exactly that template's device_config.h (and its token, in plain text, as real firmware does);
// or as the base firmware, which carries no device's values and reads them from ffcfg.

import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import JSZip from 'jszip'
import { buildHostBoard, removeBuild } from '../../firmware/build'
import {
  FIELDFLASH_4MB,
  partitionTable as fieldflashTable,
  singleSegmentImage,
} from '../../../devkit/firmware-images'

const MARK = Buffer.from('FFHOSTBOARD1')

/** nvs, otadata, one OTA app at 0x10000: the Arduino default layout, shortened. */
export function partitionTable(): Uint8Array {
  const entry = (type: number, subtype: number, offset: number, size: number, label: string) => {
    const e = Buffer.alloc(32)
    e[0] = 0xaa
    e[1] = 0x50
    e[2] = type
    e[3] = subtype
    e.writeUInt32LE(offset, 4)
    e.writeUInt32LE(size, 8)
    e.write(label, 12, 'ascii')
    return e
  }
  const entries = Buffer.concat([
    entry(1, 2, 0x9000, 0x5000, 'nvs'),
    entry(1, 0, 0xe000, 0x2000, 'otadata'),
    entry(0, 0x10, 0x10000, 0x140000, 'app0'),
  ])
  const md5 = Buffer.alloc(32, 0xff)
  md5[0] = 0xeb
  md5[1] = 0xeb
  createHash('md5').update(entries).digest().copy(md5, 16)
  const table = Buffer.alloc(0xc00, 0xff)
  Buffer.concat([entries, md5]).copy(table)
  return table
}

/** The host program inside an app image read back from flash, or null when there is none. */
export function extractHostBoard(image: Uint8Array): Buffer | null {
  const bytes = Buffer.from(image.buffer, image.byteOffset, image.byteLength)
  if (bytes[0] !== 0xe9) return null
  const at = bytes.indexOf(MARK)
  if (at < 0 || at + MARK.length + 4 > bytes.length) return null
  const length = bytes.readUInt32LE(at + MARK.length)
  const start = at + MARK.length + 4
  if (start + length > bytes.length) return null
  return Buffer.from(bytes.subarray(start, start + length))
}

/**
 * Compiles the host board against the device_config.h of a downloaded template ZIP and writes a
 * build folder around it; returns the folder (what the technician chooses in the app).
 */
export async function buildFirmwareFromZip(zipPath: string): Promise<string> {
  const zip = await JSZip.loadAsync(await readFile(zipPath))
  const header = Object.values(zip.files).find((f) => f.name.endsWith('include/device_config.h'))
  if (!header) throw new Error(`${zipPath} has no include/device_config.h`)
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-testfw-'))
  const configDir = join(dir, 'include')
  await mkdir(configDir)
  await writeFile(join(configDir, 'device_config.h'), await header.async('nodebuffer'))
  return writeBuildFolder(dir, await hostProgram(configDir), partitionTable())
}

/**
 * The board's base firmware, as `pio run -e generic` builds it: the host board with no
 * device_config.h, reading its values from the ffcfg partition the flash gives it, and a
 * partition table that has one.
 */
export async function buildBaseFirmware(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-testfw-'))
  return writeBuildFolder(dir, await hostProgram(null), fieldflashTable(FIELDFLASH_4MB))
}

async function hostProgram(configDir: string | null): Promise<Buffer> {
  const binary = await buildHostBoard(configDir)
  const program = await readFile(binary)
  await removeBuild(binary)
  return program
}

/** A PlatformIO build folder whose app image carries `program`. */
async function writeBuildFolder(dir: string, program: Buffer, table: Uint8Array): Promise<string> {
  const length = Buffer.alloc(4)
  length.writeUInt32LE(program.length)
  const build = join(dir, '.pio', 'build', 'esp32-devkitc')
  await mkdir(build, { recursive: true })
  await writeFile(
    join(build, 'bootloader.bin'),
    singleSegmentImage(Buffer.alloc(64, 0x11), 0x3fff0030),
  )
  await writeFile(join(build, 'partitions.bin'), table)
  await writeFile(
    join(build, 'firmware.bin'),
    singleSegmentImage(Buffer.concat([MARK, length, program]), 0x3f400020),
  )
  return build
}
