import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateNvsPartition, type NvsEntry } from '../../main/config-partition/nvs-partition'
import { isErased, readNvsPartition } from '../../main/config-partition/nvs-read'
import { REPO_ROOT } from '../helpers/fixtures'
import { readNvsCsv } from './nvs-csv'

const VECTORS = join(REPO_ROOT, '..', 'shared', 'nvs')

/** What the entries of a generator CSV say, as namespace → key → value. */
function expected(entries: NvsEntry[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {}
  let ns = ''
  for (const e of entries) {
    if (e.kind === 'namespace') out[(ns = e.name)] ??= {}
    else if (e.kind === 'integer') out[ns]![e.key] = BigInt(e.value)
    else if (e.kind === 'binary') out[ns]![e.key] = Buffer.from(e.value).toString('hex')
    else out[ns]![e.key] = e.value
  }
  return out
}

function read(image: Uint8Array): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {}
  for (const [ns, values] of readNvsPartition(image).namespaces) {
    out[ns] = {}
    for (const [key, value] of values) {
      out[ns][key] =
        typeof value === 'number' || typeof value === 'bigint'
          ? BigInt(value)
          : value instanceof Uint8Array
            ? Buffer.from(value).toString('hex')
            : value
    }
  }
  return out
}

describe('readNvsPartition', () => {
  it.each([
    ['fieldflash_nvs.csv', 'fieldflash_nvs_0x5000.bin'],
    ['fieldflash_nvs_blob.csv', 'fieldflash_nvs_blob_0x5000.bin'],
  ])("reads %s back from Espressif's generator's image", async (csv, bin) => {
    const entries = await readNvsCsv(join(VECTORS, csv))
    const image = await readFile(join(VECTORS, bin))
    expect(read(image)).toEqual(expected(entries))
    expect(readNvsPartition(image).skipped).toBe(0)
  })

  it('reads back whatever the generator writes', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,14}$/)
    const value = fc.oneof(
      fc.record({ kind: fc.constant('string' as const), value: fc.string({ maxLength: 200 }) }),
      fc.record({
        kind: fc.constant('integer' as const),
        value: fc.integer({ min: 0, max: 65535 }),
      }),
      fc.record({
        kind: fc.constant('binary' as const),
        value: fc.uint8Array({ maxLength: 5000 }),
      }),
    )
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(key, value), { selector: ([k]) => k, maxLength: 12 }),
        (pairs) => {
          const entries: NvsEntry[] = [
            { kind: 'namespace', name: 'fieldflash' },
            ...pairs.map(([k, v]): NvsEntry =>
              v.kind === 'integer'
                ? { kind: 'integer', key: k, type: 'u16', value: v.value }
                : { kind: v.kind, key: k, value: v.value as never },
            ),
          ]
          const image = generateNvsPartition(entries, 0x10000)
          expect(read(image)).toEqual(expected(entries))
        },
      ),
      { numRuns: 60 },
    )
  })

  it('skips an entry whose bytes were damaged, and reads the rest', async () => {
    const image = Buffer.from(await readFile(join(VECTORS, 'fieldflash_nvs_0x5000.bin')))
    // The first value entry after the namespace: flip a byte of its key.
    image[64 + 32 + 10] = image[64 + 32 + 10]! ^ 0x01
    const contents = readNvsPartition(image)
    expect(contents.skipped).toBeGreaterThanOrEqual(1)
    expect(contents.namespaces.get('fieldflash')?.get('mqtt_host')).toBe('mqtt.example.com')
  })

  it('finds nothing in erased flash, and says it is erased', () => {
    const blank = Buffer.alloc(0x3000, 0xff)
    expect(isErased(blank)).toBe(true)
    expect(readNvsPartition(blank)).toMatchObject({ pages: 0, skipped: 0 })
    expect(readNvsPartition(blank).namespaces.size).toBe(0)
  })
})
