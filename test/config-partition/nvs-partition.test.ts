import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  generateNvsPartition,
  nvsCrc32,
  NVS_STRING_MAX_BYTES,
  type NvsEntry,
} from '../../main/config-partition/nvs-partition'
import { buildConfigPartition } from '../../main/config-partition/config-partition'
import { REPO_ROOT, tempDir } from '../helpers/fixtures'
import { readNvsCsv } from './nvs-csv'

const VECTORS = join(REPO_ROOT, '..', 'shared', 'nvs')

describe('nvsCrc32', () => {
  it('is zlib CRC-32 started from 0xFFFFFFFF (check value 0xD202D277), not the common CRC-32', () => {
    expect(nvsCrc32(Buffer.from('123456789'))).toBe(0xd202d277)
    expect(nvsCrc32(new Uint8Array(0).subarray(0, 0))).toBe(0xffffffff)
  })
})

describe('generateNvsPartition', () => {
  it.each([
    ['fieldflash_nvs.csv', 'fieldflash_nvs_0x5000.bin'],
    ['fieldflash_nvs_blob.csv', 'fieldflash_nvs_blob_0x5000.bin'],
  ])('reproduces Espressif’s generator byte for byte: %s', async (csv, bin) => {
    const entries = await readNvsCsv(join(VECTORS, csv)).catch((error: NodeJS.ErrnoException) => {
      throw new Error(
        `Espressif's NVS reference vectors are missing (${error.code} ${join(VECTORS, csv)}): shared/ must lie beside the checkout, as on the project's machines and in CI.`,
      )
    })
    const expected = await readFile(join(VECTORS, bin))
    const image = generateNvsPartition(entries, 0x5000)
    expect(image.length).toBe(expected.length)
    // Compare page by page first, so a difference names its page.
    for (let page = 0; page < expected.length / 4096; page++) {
      expect(image.subarray(page * 4096, (page + 1) * 4096).toString('hex'), `page ${page}`).toBe(
        expected.subarray(page * 4096, (page + 1) * 4096).toString('hex'),
      )
    }
  })

  it('moves a string that would reach the last entry of a page to the next page', () => {
    const entries = [
      { kind: 'namespace' as const, name: 'ns' },
      // 1 + 4 entries each: 25 strings fill entries 1–125 exactly, which a string never does.
      ...Array.from({ length: 25 }, (_, i) => ({
        kind: 'string' as const,
        key: `k${i}`,
        value: 'x'.repeat(100),
      })),
    ]
    const image = generateNvsPartition(entries, 0x3000)
    expect(image.readUInt32LE(0)).toBe(0xfffffffc) // page 0 Full
    expect(image.readUInt32LE(4096)).toBe(0xfffffffe) // page 1 Active
    expect(image.readUInt32LE(4100)).toBe(1) // sequence 1
    expect(image.subarray(4096 + 64 + 8, 4096 + 64 + 11).toString()).toBe('k24')
  })

  it('refuses a value that cannot fit, naming its key', () => {
    const ns = { kind: 'namespace' as const, name: 'ns' }
    expect(() =>
      generateNvsPartition(
        [ns, { kind: 'string', key: 'big', value: 'x'.repeat(NVS_STRING_MAX_BYTES + 1) }],
        0x3000,
      ),
    ).toThrow(/^big: must be at most 3967 bytes/)
    expect(() =>
      generateNvsPartition(
        [ns, { kind: 'binary', key: 'cert', value: new Uint8Array(9000) }],
        0x3000,
      ),
    ).toThrow(/^cert: does not fit/)
    expect(() =>
      generateNvsPartition(
        [ns, { kind: 'integer', key: 'port', type: 'u16', value: 70000 }],
        0x3000,
      ),
    ).toThrow(/^port: must be a whole number from 0 to 65535/)
    expect(() =>
      generateNvsPartition([ns, { kind: 'string', key: 'sixteen_bytes_ky', value: '' }], 0x3000),
    ).toThrow(/must be 1–15 bytes/)
    expect(() => generateNvsPartition([ns], 0x2000)).toThrow(/^size:/)
  })
})

const READER = join(REPO_ROOT, 'docs', 'tools', 'nvs_read.py')

/** Reads an image with the independent Python reader of docs/tools. */
function readWithPython(image: Buffer, dir: string): { entries: unknown[]; pages: unknown[] } {
  const file = join(dir, 'image.bin')
  writeFileSync(file, image)
  const result = spawnSync('python3', [READER, file], { encoding: 'utf8' })
  if (result.error) {
    throw new Error(
      (result.error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'python3 is not installed: apt-get install python3'
        : result.error.message,
    )
  }
  if (result.status !== 0) throw new Error(`nvs_read.py failed: ${result.stderr}`)
  return JSON.parse(result.stdout)
}

const keyArb = fc.stringMatching(/^[a-z][a-z0-9_]{0,14}$/)
type ValueEntry = Exclude<NvsEntry, { kind: 'namespace' }>
const entryArb = (key: string): fc.Arbitrary<ValueEntry> =>
  fc.oneof(
    fc
      .string({ unit: 'grapheme', maxLength: 1400 })
      .filter((s) => !s.includes('\0') && Buffer.byteLength(s) <= NVS_STRING_MAX_BYTES)
      .map((value) => ({ kind: 'string' as const, key, value })),
    fc
      .constantFrom(...(['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'u64', 'i64'] as const))
      .chain((type) => {
        const bits = BigInt(Number(type.slice(1)))
        const signed = type.startsWith('i')
        const min = signed ? -(1n << (bits - 1n)) : 0n
        const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n
        return fc.bigInt(min, max).map((value) => ({ kind: 'integer' as const, key, type, value }))
      }),
    fc.uint8Array({ maxLength: 9000 }).map((value) => ({ kind: 'binary' as const, key, value })),
  )

describe('generateNvsPartition, read back by an independent reader', () => {
  it('stores any values (up to the limits, any UTF-8, across pages) exactly as given', async () => {
    const dir = await tempDir('fieldflash-nvs-')
    const valuesArb = fc
      .uniqueArray(keyArb, { minLength: 1, maxLength: 24 })
      .chain((keys) => fc.tuple(...keys.map(entryArb)))
    fc.assert(
      fc.property(valuesArb, (values) => {
        const entries: NvsEntry[] = [{ kind: 'namespace', name: 'fieldflash' }, ...values]
        let image: Buffer
        try {
          image = generateNvsPartition(entries, 0x10000)
        } catch (error) {
          // Too much for 16 pages: refused naming a key, never a broken image.
          expect(String(error)).toMatch(/does not fit/)
          return
        }
        const read = readWithPython(image, dir)
        expect(read.entries).toEqual(
          values.map((v) => ({
            namespace: 'fieldflash',
            key: v.key,
            type: v.kind === 'integer' ? v.type : v.kind === 'string' ? 'string' : 'blob',
            value:
              v.kind === 'integer'
                ? Number(v.value)
                : v.kind === 'string'
                  ? v.value
                  : Buffer.from(v.value).toString('hex'),
          })),
        )
      }),
      { numRuns: 60 },
    )
  }, 120_000)
})

describe('buildConfigPartition', () => {
  it("gives the protocol document's vector: the nine values in order, as Espressif's generator does", async () => {
    const entries = await readNvsCsv(join(REPO_ROOT, 'docs', 'vectors', 'ffcfg.csv'))
    const value = (key: string) =>
      (entries.find((e) => e.kind !== 'namespace' && e.key === key) as { value: unknown }).value
    const image = buildConfigPartition(
      {
        deviceUid: value('uid') as string,
        platformKey: value('platform_key') as string,
        mqttHost: value('mqtt_host') as string,
        mqttPort: Number(value('mqtt_port')),
        mqttUsername: value('mqtt_user') as string,
        mqttPassword: value('mqtt_pass') as string,
        otaBaseUrl: value('ota_base_url') as string,
        apiHost: value('api_host') as string,
        provisioningToken: value('prov_token') as string,
        wifi: null,
      },
      0x5000,
    )
    const protocol = await readFile(join(REPO_ROOT, 'docs', 'protocol.md'), 'utf8')
    const documented = /Its image at 0x5000 bytes has SHA-256\s+`([0-9a-f]{64})`/.exec(protocol)![1]
    expect(createHash('sha256').update(image).digest('hex')).toBe(documented)
    expect(image.equals(generateNvsPartition(entries, 0x5000))).toBe(true)
  })
})
