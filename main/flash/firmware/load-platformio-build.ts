import { basename, dirname, join } from 'node:path'
import { bootApp0Image } from './boot-app0'
import type { LoadedFirmwareInput, PlannedPart } from './firmware-bundle'
import { FirmwareError } from './firmware-errors'
import type { FlashTarget } from './flash-target'
import { parsePartitionTable } from './partition-table'
import { checkStaysInside } from './part-paths'
import { pathKind, readFirmwareFile } from './read-input'

/** The files PlatformIO leaves in `.pio/build/<env>` (boot_app0.bin stays in the framework folder). */
export const PLATFORMIO_FILES = {
  bootloader: 'bootloader.bin',
  partitions: 'partitions.bin',
  bootApp0: 'boot_app0.bin',
  app: 'firmware.bin',
} as const

/** The build folder for `path`: the folder itself, the folder of a chosen firmware.bin, or `.pio/build/<env>` of a project. */
export async function findPlatformioBuildDir(
  path: string,
  target: FlashTarget,
): Promise<string | null> {
  const kind = await pathKind(path)
  if (kind === 'file') return basename(path) === PLATFORMIO_FILES.app ? dirname(path) : null
  if (kind !== 'directory') return null
  if ((await pathKind(join(path, PLATFORMIO_FILES.app))) === 'file') return path
  const projectBuild = join(path, '.pio', 'build', target.board.platformio.env)
  if ((await pathKind(join(projectBuild, PLATFORMIO_FILES.app))) === 'file') return projectBuild
  return null
}

/** Lays out a PlatformIO build at the board's offsets; a missing boot_app0.bin is generated. */
export async function loadPlatformioBuild(
  path: string,
  target: FlashTarget,
): Promise<LoadedFirmwareInput> {
  const env = target.board.platformio.env
  const buildDir = await findPlatformioBuildDir(path, target)
  if (!buildDir) {
    throw new FirmwareError(
      'not_found',
      `${path} is not a PlatformIO build: no ${PLATFORMIO_FILES.app} there or in .pio/build/${env}. Build the project (pio run -e ${env}) and choose its .pio/build/${env} folder.`,
      path,
    )
  }
  const advice = `Build the project again (pio run -e ${env}); a complete build folder holds ${PLATFORMIO_FILES.bootloader}, ${PLATFORMIO_FILES.partitions} and ${PLATFORMIO_FILES.app}.`
  const read = async (name: string, role: PlannedPart['role'], offset: number) => {
    const file = join(buildDir, name)
    await checkStaysInside(file, buildDir, buildDir)
    const data = await readFirmwareFile(file, target, advice)
    return { name, role, offset, data, file }
  }

  const parts: PlannedPart[] = []
  if (target.bootloaderOffset !== null) {
    parts.push(await read(PLATFORMIO_FILES.bootloader, 'bootloader', target.bootloaderOffset))
  }
  if (target.partitionsOffset !== null) {
    const table = await read(
      PLATFORMIO_FILES.partitions,
      'partition-table',
      target.partitionsOffset,
    )
    parts.push(table)
    if (target.bootApp0Offset !== null && hasOtadataPartition(table.data, table.file)) {
      parts.push(await bootApp0Part(buildDir, target, target.bootApp0Offset, advice))
    }
  }
  parts.push(await read(PLATFORMIO_FILES.app, 'app', target.appOffset))
  return {
    name: `${basename(buildDir)} (PlatformIO build)`,
    parts,
    layoutSource: `the board's offsets (resources/boards/${target.board.id}/board.json)`,
    flashSettings: null,
  }
}

// Without an otadata partition there is nothing for boot_app0 to select, and writing it would
// overwrite whatever lives at that offset.
function hasOtadataPartition(data: Uint8Array, file: string): boolean {
  const table = parsePartitionTable(data, file)
  return table.entries.some((entry) => entry.type === 'data' && entry.subtype === 0)
}

async function bootApp0Part(
  buildDir: string,
  target: FlashTarget,
  offset: number,
  advice: string,
): Promise<PlannedPart> {
  const file = join(buildDir, PLATFORMIO_FILES.bootApp0)
  if ((await pathKind(file)) === 'file') {
    await checkStaysInside(file, buildDir, buildDir)
    const data = await readFirmwareFile(file, target, advice)
    return { name: PLATFORMIO_FILES.bootApp0, role: 'otadata', offset, data, file }
  }
  return {
    name: PLATFORMIO_FILES.bootApp0,
    role: 'otadata',
    offset,
    data: bootApp0Image(),
    file: null,
  }
}
