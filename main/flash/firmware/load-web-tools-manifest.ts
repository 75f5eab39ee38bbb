import { basename, dirname, join } from 'node:path'
import type { LoadedFirmwareInput, PlannedPart } from './firmware-bundle'
import { FirmwareError } from './firmware-errors'
import { toChipFamily, type FlashTarget } from './flash-target'
import { checkStaysInside, isRecord, parseOffset, resolvePartPath } from './part-paths'
import { pathKind, readFirmwareFile, readJsonFile } from './read-input'
import { inferPartRole } from './validate-layout'

export const WEB_TOOLS_MANIFEST_FILE = 'manifest.json'

/** The manifest for `path`: a chosen .json file, or manifest.json in a chosen folder. */
export async function findWebToolsManifest(path: string): Promise<string | null> {
  const kind = await pathKind(path)
  if (kind === 'file') return path.toLowerCase().endsWith('.json') ? path : null
  if (kind !== 'directory') return null
  const inside = join(path, WEB_TOOLS_MANIFEST_FILE)
  return (await pathKind(inside)) === 'file' ? inside : null
}

/** Lays out the build of an ESP Web Tools manifest whose chipFamily is the board's chip. */
export async function loadWebToolsManifest(
  path: string,
  target: FlashTarget,
): Promise<LoadedFirmwareInput> {
  const manifestFile = (await findWebToolsManifest(path)) ?? join(path, WEB_TOOLS_MANIFEST_FILE)
  const manifest = await readJsonFile(
    manifestFile,
    'Choose the manifest.json that came with the firmware, or its folder.',
  )
  const invalid = (problem: string) =>
    new FirmwareError(
      'invalid_input',
      `${manifestFile}: ${problem}. An ESP Web Tools manifest lists builds[] of { chipFamily, parts: [{ path, offset }] }.`,
      manifestFile,
    )
  if (!isRecord(manifest) || !Array.isArray(manifest.builds))
    throw invalid('it has no "builds" list')

  const families: string[] = []
  let build: Record<string, unknown> | undefined
  for (const candidate of manifest.builds) {
    if (!isRecord(candidate) || typeof candidate.chipFamily !== 'string') {
      throw invalid('a build has no "chipFamily"')
    }
    families.push(candidate.chipFamily)
    // ESP Web Tools installs the first build whose chipFamily matches the detected chip.
    if (!build && toChipFamily(candidate.chipFamily) === target.chip) build = candidate
  }
  if (!build) {
    throw new FirmwareError(
      'chip_mismatch',
      `${manifestFile} has builds for ${families.join(', ') || 'no chip'}, but none for the board's ${target.chip}. Get the firmware for this chip, or choose the board it was made for.`,
      manifestFile,
    )
  }
  if (!Array.isArray(build.parts) || build.parts.length === 0) {
    throw invalid(`the ${String(build.chipFamily)} build lists no parts`)
  }

  const manifestDir = dirname(manifestFile)
  const parts: PlannedPart[] = []
  for (const entry of build.parts) {
    if (!isRecord(entry) || typeof entry.path !== 'string') throw invalid('a part has no "path"')
    const offset = parseOffset(entry.offset)
    if (offset === null) {
      throw invalid(`part ${entry.path} has no usable "offset" (a byte offset such as 65536)`)
    }
    const file = resolvePartPath(entry.path, manifestFile)
    await checkStaysInside(file, manifestDir, manifestFile)
    const data = await readFirmwareFile(
      file,
      target,
      `${manifestFile} lists it; put it next to the manifest, or fix the path.`,
    )
    parts.push({
      name: basename(entry.path),
      role: inferPartRole(offset, data, target),
      offset,
      data,
      file,
    })
  }
  const name = typeof manifest.name === 'string' ? manifest.name : basename(manifestDir)
  const version = typeof manifest.version === 'string' ? ` ${manifest.version}` : ''
  return { name: `${name}${version}`, parts, layoutSource: manifestFile, flashSettings: null }
}
