import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import {
  buildBootstrapVectorTest,
  buildHostBoard,
  removeBuild,
  VECTORS_PATH,
  type CryptoBackend,
} from './build'

const run = promisify(execFile)

/** Temp dirs and builds to remove after the file's tests, whatever their outcome. */
const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()))
})

/** Vector kinds bootstrap_vectors.c checks; banner_parse is for the app's parser only. */
const C_KINDS = new Set([
  'token_valid',
  'token_invalid',
  'fingerprint',
  'code',
  'banner_format',
  'error_format',
  'rtoken_valid',
  'rtoken_invalid',
  'reg_key',
  'holder_key',
  'reg_line',
  'ack_line',
  'status_line',
  'reg_handle',
])

async function readVectors(): Promise<string[][]> {
  const text = await readFile(VECTORS_PATH, 'utf8')
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split('\t'))
}

function field(row: string[] | undefined, index: number): string {
  const value = row?.[index]
  if (value === undefined) throw new Error(`vector row lacks field ${index}: ${row?.join(' | ')}`)
  return value
}

/** A C string literal for test values (printable ASCII; quotes and backslashes escaped). */
function cString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}

interface SampleDevice {
  uid: string
  token: string
  password: string
}

/** Writes a device_config.h like the one the app renders for a template download. */
async function writeDeviceConfig(device: SampleDevice): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-config-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  const header = [
    '#pragma once',
    `#define DEVICE_UID ${cString(device.uid)}`,
    `#define PLATFORM_KEY ${cString('pk_test_7f3a')}`,
    `#define MQTT_HOST ${cString('mqtt.site.test')}`,
    '#define MQTT_PORT 8883',
    `#define DEVICE_MQTT_USERNAME ${cString(device.uid)}`,
    `#define DEVICE_MQTT_PASSWORD ${cString(device.password)}`,
    `#define OTA_BASE_URL ${cString('https://ota.site.test/fw')}`,
    `#define API_HOST ${cString('api.site.test')}`,
    `#define PROVISIONING_TOKEN ${cString(device.token)}`,
    `#define FF_FIRMWARE_VERSION ${cString('1.4.2')}`,
    '',
  ].join('\n')
  await writeFile(join(dir, 'device_config.h'), header)
  return dir
}

async function built(binary: Promise<string>): Promise<string> {
  const path = await binary
  cleanups.push(() => removeBuild(path))
  return path
}

describe('docs/protocol-vectors.tsv', () => {
  it('is exactly what the independent Python reference generates (nobody edited it by hand)', async () => {
    const script = fileURLToPath(
      new URL('../../docs/tools/make_protocol_vectors.py', import.meta.url),
    )
    const result = await run('python3', [script, '--check'], { timeout: 20_000 }).then(
      ({ stdout }) => ({ ok: true, output: stdout }),
      (error: { code?: unknown; stdout?: string; stderr?: string }) => ({
        ok: false,
        output:
          error.code === 'ENOENT'
            ? 'python3 is not installed: apt-get install python3'
            : `${error.stdout ?? ''}${error.stderr ?? ''}`,
      }),
    )
    expect(result.output).toContain('is up to date')
    expect(result.ok).toBe(true)
  })
})

describe('ff_bootstrap vector test (C, compiled for the host)', () => {
  it.each<CryptoBackend>(['mbedtls', 'bearssl'])(
    'agrees with every token, fingerprint, code and line vector using the %s backend',
    async (backend) => {
      const relevant = (await readVectors()).filter((row) => C_KINDS.has(row[0] ?? '')).length
      const binary = await built(buildBootstrapVectorTest(backend))

      const { stdout } = await run(binary, [VECTORS_PATH], { timeout: 20_000 })

      const lines = stdout.trimEnd().split('\n')
      expect(lines[0]).toBe(`# crypto backend: ${backend}`)
      expect(lines.filter((line) => line.startsWith('FAIL'))).toEqual([])
      expect(lines).toContain(`# ${relevant} vector lines read`)
      const summary = /^(\d+) passed, (\d+) failed$/.exec(lines.at(-1) ?? '')
      expect(summary, `last line was: ${lines.at(-1)}`).not.toBeNull()
      expect(Number(summary?.[2])).toBe(0)
      expect(Number(summary?.[1])).toBeGreaterThanOrEqual(relevant)
    },
  )

  it('exits non-zero and names the line when a vector disagrees with the firmware', async () => {
    const text = await readFile(VECTORS_PATH, 'utf8')
    const codeLine = text.split('\n').find((line) => line.startsWith('code\t'))
    if (!codeLine) throw new Error('no code vector')
    const wrong = codeLine.replace(/\t[0-9A-Z]{4}-[0-9A-Z]{4}$/, '\t0000-0000')
    const dir = await mkdtemp(join(tmpdir(), 'fieldflash-vectors-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    await writeFile(join(dir, 'bad.tsv'), `${wrong}\n`)
    const binary = await built(buildBootstrapVectorTest('mbedtls'))

    const result = await run(binary, [join(dir, 'bad.tsv')]).then(
      () => ({ code: 0, stdout: '' }),
      (error: { code: number; stdout: string }) => error,
    )

    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/^FAIL line 1 code: got .* expected 0000-0000$/m)
    expect(result.stdout).toMatch(/ passed, [1-9]\d* failed\n$/)
  })
})

describe('host board (firmware main loop on the host)', () => {
  it('prints boot noise, then the banner with the vector fingerprint and code every interval, CRLF-terminated', async () => {
    const vectors = await readVectors()
    const codeRow = vectors.find((row) => row[0] === 'code')
    const token = field(codeRow, 1)
    const uid = field(codeRow, 2)
    const code = field(codeRow, 3)
    const fp = field(
      vectors.find((row) => row[0] === 'fingerprint' && row[1] === token),
      2,
    )
    const password = 'pa"ss\\word-9Q'
    const binary = await built(buildHostBoard(await writeDeviceConfig({ uid, token, password })))

    const started = Date.now()
    const { stdout } = await run(
      binary,
      [
        '--mac',
        '24:0A:C4:12:34:56',
        '--interval-ms',
        '200',
        '--count',
        '3',
        '--nonce',
        '0123456789abcdef',
      ],
      { timeout: 10_000 },
    )
    const elapsed = Date.now() - started

    const expected = `FFBOOT v=1 uid=${uid} fp=${fp} code=${code} mac=24:0a:c4:12:34:56 fw=1.4.2 cfg=header n=0123456789abcdef`
    expect(stdout.startsWith('ets ')).toBe(true)
    expect(stdout.endsWith('\r\n')).toBe(true)
    const lines = stdout.slice(0, -2).split('\r\n')
    expect(lines.filter((line) => line.includes('\n'))).toEqual([]) // no bare LF: CRLF only
    expect(lines.filter((line) => line.includes('FFBOOT'))).toEqual([expected, expected, expected])
    expect(lines.at(-1)).toBe(expected)
    expect(elapsed).toBeGreaterThanOrEqual(2 * 200)
    expect(stdout).not.toContain(token)
    expect(stdout).not.toContain(password)
  })

  it('prints an FFERR line naming the token problem instead of a banner when the token is mistyped', async () => {
    const vectors = await readVectors()
    const row = vectors.find((r) => r[0] === 'token_invalid' && r[2] === 'checksum')
    const token = field(row, 1)
    const binary = await built(
      buildHostBoard(await writeDeviceConfig({ uid: 'dev_0001', token, password: 'x' })),
    )

    const { stdout } = await run(binary, ['--interval-ms', '50', '--count', '2'], {
      timeout: 10_000,
    })

    const lines = stdout.split('\r\n').filter((line) => line.startsWith('FF'))
    expect(lines).toEqual([
      'FFERR v=1 uid=dev_0001 reason=token_checksum',
      'FFERR v=1 uid=dev_0001 reason=token_checksum',
    ])
    expect(stdout).not.toContain(token)
  })
})
