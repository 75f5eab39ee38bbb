import { basename, dirname, join } from 'node:path'
import type {
  DeclaredFlashSettings,
  FirmwarePartRole,
  LoadedFirmwareInput,
  PlannedPart,
} from './firmware-bundle'
import { FirmwareError } from './firmware-errors'
import { parseFlashSize, toChipFamily, type FlashTarget } from './flash-target'
import { pathKind, readFirmwareFile, readJsonFile } from './read-input'
import { checkStaysInside, isRecord, parseOffset, resolvePartPath } from './part-paths'
import { inferPartRole } from './validate-layout'

export const FLASHER_ARGS_FILE = 'flasher_args.json'

// ESP-IDF writes these sections beside flash_files, each { offset, file, encrypted }.
const IDF_SECTION_ROLES: Record<string, FirmwarePartRole> = {
  bootloader: 'bootloader',
  app: 'app',
  'partition-table': 'partition-table',
  otadata: 'otadata',
}

/** The flasher_args.json for `path`: the file itself or the one in a build folder. */
export async function findFlasherArgs(path: string): Promise<string | null> {
  const kind = await pathKind(path)
  if (kind === 'file') return basename(path) === FLASHER_ARGS_FILE ? path : null
  if (kind !== 'directory') return null
  const inside = join(path, FLASHER_ARGS_FILE)
  return (await pathKind(inside)) === 'file' ? inside : null
}

/** Lays out an ESP-IDF build from its flasher_args.json (`flash_files`, `flash_settings`, chip). */
export async function loadEspIdfBuild(
  path: string,
  target: FlashTarget,
): Promise<LoadedFirmwareInput> {
  const argsFile = (await findFlasherArgs(path)) ?? join(path, FLASHER_ARGS_FILE)
  const advice = 'Build the project with idf.py build and choose its build folder.'
  const args = await readJsonFile(argsFile, advice)
  const invalid = (problem: string) =>
    new FirmwareError(
      'invalid_input',
      `${argsFile}: ${problem}. Use the flasher_args.json that idf.py build wrote, unedited.`,
      argsFile,
    )
  if (!isRecord(args) || !isRecord(args.flash_files)) throw invalid('it has no "flash_files" map')

  const chipName = isRecord(args.extra_esptool_args) ? args.extra_esptool_args.chip : undefined
  if (typeof chipName === 'string' && toChipFamily(chipName) !== target.chip) {
    throw new FirmwareError(
      'chip_mismatch',
      `${argsFile} is a build for ${chipName}, but the board has an ${target.chip}. Build with idf.py set-target for this chip, or choose the board the firmware was built for.`,
      argsFile,
    )
  }

  const flashSettings = readFlashSettings(args.flash_settings)
  const declaredSize = flashSettings?.size ? parseFlashSize(flashSettings.size) : null
  if (declaredSize !== null && declaredSize > target.flashSize) {
    throw new FirmwareError(
      'exceeds_flash',
      `${argsFile} is built for ${flashSettings!.size} of flash, more than ${target.flashSizeSource}. Set the flash size for this board (idf.py menuconfig → Serial flasher config) and rebuild, or choose the board that matches the hardware.`,
      argsFile,
    )
  }

  const buildDir = dirname(argsFile)
  const sectionRoles = new Map<string, FirmwarePartRole>()
  for (const [section, role] of Object.entries(IDF_SECTION_ROLES)) {
    const entry = args[section]
    if (isRecord(entry) && typeof entry.offset === 'string' && typeof entry.file === 'string') {
      sectionRoles.set(`${parseOffset(entry.offset)}|${entry.file}`, role)
    }
  }

  const parts: PlannedPart[] = []
  for (const [offsetText, relativePath] of Object.entries(args.flash_files)) {
    const offset = parseOffset(offsetText)
    if (offset === null) throw invalid(`flash_files has an unreadable offset "${offsetText}"`)
    if (typeof relativePath !== 'string') {
      throw invalid(`flash_files entry ${offsetText} is not a file path`)
    }
    const file = resolvePartPath(relativePath, argsFile)
    await checkStaysInside(file, buildDir, argsFile)
    const data = await readFirmwareFile(file, target, 'Rebuild the project (idf.py build).')
    const role =
      sectionRoles.get(`${offset}|${relativePath}`) ?? inferPartRole(offset, data, target)
    parts.push({ name: basename(relativePath), role, offset, data, file })
  }
  if (parts.length === 0) throw invalid('its "flash_files" map is empty')

  const app = isRecord(args.app) && typeof args.app.file === 'string' ? args.app.file : null
  return {
    name: app ? basename(app).replace(/\.bin$/i, '') : basename(buildDir),
    parts,
    layoutSource: argsFile,
    flashSettings,
  }
}

function readFlashSettings(value: unknown): DeclaredFlashSettings | null {
  if (!isRecord(value)) return null
  const settings: DeclaredFlashSettings = {}
  if (typeof value.flash_mode === 'string') settings.mode = value.flash_mode
  if (typeof value.flash_size === 'string') settings.size = value.flash_size
  if (typeof value.flash_freq === 'string') settings.freq = value.flash_freq
  return settings
}
