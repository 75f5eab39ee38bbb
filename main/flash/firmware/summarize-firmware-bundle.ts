import type { FirmwareBundle, FirmwarePartRole } from './firmware-bundle'
import { formatSize, hex } from './flash-target'

export interface FirmwarePartSummary {
  name: string
  role: FirmwarePartRole
  offset: number
  offsetHex: string
  size: number
  generated: boolean
}

export interface FirmwareBundleSummary {
  totalBytes: number
  parts: FirmwarePartSummary[]
  /** One line for the bundle, then one per part: offset, name, size. */
  lines: string[]
  text: string
}

/** The total bytes and a human summary of a bundle, for the UI and the CLI. */
export function summarizeFirmwareBundle(bundle: FirmwareBundle): FirmwareBundleSummary {
  const parts = bundle.parts.map((part) => ({
    name: part.name,
    role: part.role,
    offset: part.offset,
    offsetHex: hex(part.offset),
    size: part.data.length,
    generated: part.file === null,
  }))
  const totalBytes = parts.reduce((sum, part) => sum + part.size, 0)
  const offsetWidth = Math.max(...parts.map((part) => part.offsetHex.length))
  const nameWidth = Math.max(...parts.map((part) => part.name.length))
  const count = parts.length === 1 ? '1 part' : `${parts.length} parts`
  const lines = [
    `${bundle.name} for ${bundle.chipFamily}: ${count}, ${totalBytes} bytes (${formatSize(totalBytes)})`,
    ...parts.map(
      (part) =>
        `  ${part.offsetHex.padEnd(offsetWidth)}  ${part.name.padEnd(nameWidth)}  ${part.size} bytes (${formatSize(part.size)})${part.generated ? ', generated' : ''}`,
    ),
  ]
  return { totalBytes, parts, lines, text: lines.join('\n') }
}
