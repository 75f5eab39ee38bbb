import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { NvsEntry, NvsIntegerType } from '../../main/config-partition/nvs-partition'

/** Reads a CSV of Espressif's NVS partition generator (key,type,encoding,value) as entries. */
export async function readNvsCsv(path: string): Promise<NvsEntry[]> {
  const lines = (await readFile(path, 'utf8')).split(/\r?\n/).filter((l) => l.trim() !== '')
  const entries: NvsEntry[] = []
  for (const line of lines.slice(1)) {
    const [key, type, encoding, ...rest] = line.split(',')
    const value = rest.join(',')
    if (type === 'namespace') entries.push({ kind: 'namespace', name: key! })
    else if (type === 'file' && encoding === 'binary') {
      entries.push({ kind: 'binary', key: key!, value: await readFile(join(dirname(path), value)) })
    } else if (encoding === 'string') entries.push({ kind: 'string', key: key!, value })
    else
      entries.push({
        kind: 'integer',
        key: key!,
        type: encoding as NvsIntegerType,
        value: BigInt(value),
      })
  }
  return entries
}
