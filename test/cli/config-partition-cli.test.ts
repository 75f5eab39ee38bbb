import { spawnSync } from 'node:child_process'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT, SAMPLE_SITE_FLAGS, tempDir } from '../helpers/fixtures'
import { cli } from '../helpers/run-cli'
import { tokenInZip } from '../store/processes'

const SITE = SAMPLE_SITE_FLAGS

interface NvsRead {
  entries: { namespace: string; key: string; type: string; value: string | number }[]
}

/** The image as ESP-IDF would read it, by the independent reader of docs/tools. */
function readImage(path: string): NvsRead {
  const result = spawnSync('python3', [join(REPO_ROOT, 'docs', 'tools', 'nvs_read.py'), path], {
    encoding: 'utf8',
  })
  if (result.error) throw new Error('python3 is not installed: apt-get install python3')
  if (result.status !== 0) throw new Error(result.stderr)
  return JSON.parse(result.stdout)
}

async function setup(board = 'esp32-devkitc'): Promise<string> {
  const dataDir = await tempDir('fieldflash-data-')
  expect((await cli(dataDir, 'site', 'set', ...SITE)).code).toBe(0)
  expect((await cli(dataDir, 'device', 'add', '--board', board, '--uid', 'pump-0001')).code).toBe(0)
  return dataDir
}

describe('fieldflash config-partition', () => {
  it("writes the device's values under the protocol's keys, in order, owner-only, with a fresh token", async () => {
    const dataDir = await setup()
    const out = join(await tempDir(), 'ffcfg.bin')
    const run = await cli(dataDir, 'config-partition', 'pump-0001', '--out', out, '--json')
    expect(run.code, run.err).toBe(0)
    const report = JSON.parse(run.out)
    expect(report).toMatchObject({ path: out, size: 0x3000, supersededFingerprint: null })
    expect((await stat(out)).mode & 0o777).toBe(0o600)
    expect((await stat(out)).size).toBe(0x3000)

    const { entries } = readImage(out)
    expect(entries.map((e) => [e.namespace, e.key, e.type])).toEqual([
      ['fieldflash', 'uid', 'string'],
      ['fieldflash', 'platform_key', 'string'],
      ['fieldflash', 'mqtt_host', 'string'],
      ['fieldflash', 'mqtt_port', 'u16'],
      ['fieldflash', 'mqtt_user', 'string'],
      ['fieldflash', 'mqtt_pass', 'string'],
      ['fieldflash', 'ota_base_url', 'string'],
      ['fieldflash', 'api_host', 'string'],
      ['fieldflash', 'prov_token', 'string'],
    ])
    const value = (key: string) => entries.find((e) => e.key === key)!.value
    expect(value('uid')).toBe('pump-0001')
    expect(value('mqtt_port')).toBe(8883)
    expect(value('mqtt_user')).toBe('dev-pump-0001')
    const device = JSON.parse((await cli(dataDir, 'device', 'show', 'pump-0001', '--json')).out)
    expect(device.currentToken).toMatchObject({
      fingerprint: report.fingerprint,
      origin: 'config-partition',
      state: 'issued',
    })

    // The MQTT password is the device's own: the same one a template carries.
    const template = JSON.parse(
      (await cli(dataDir, 'template', 'pump-0001', '--out', await tempDir(), '--json')).out,
    )
    const zip = await readFile(template.zipPath)
    expect(zip.length).toBeGreaterThan(0)
    const header = (await import('jszip')).default
    const files = await header.loadAsync(zip)
    const config = await files.file('pump-0001/include/device_config.h')!.async('string')
    expect(config).toContain(`"${value('mqtt_pass')}"`)
    // That template superseded the partition's token, so the partition file is gone.
    await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' })
    expect((await tokenInZip(template.zipPath)).fingerprint).toBe(template.fingerprint)
  })

  it("adds the site's Wi-Fi after the nine values, and never shows its password", async () => {
    const dataDir = await setup()
    const set = await cli(
      dataDir,
      'site',
      'set',
      '--wifi-ssid',
      'Plant 3 – Hall',
      '--wifi-password',
      'correct horse battery',
      '--json',
    )
    expect(set.code, set.err).toBe(0)
    expect(set.out).not.toContain('correct horse')
    expect(JSON.parse(set.out).wifi).toEqual({ ssid: 'Plant 3 – Hall', open: false })
    expect((await cli(dataDir, 'site', 'show')).out).toMatch(
      /Wi-Fi: +Plant 3 – Hall \(password set\)/,
    )
    const out = join(await tempDir(), 'ffcfg.bin')
    expect((await cli(dataDir, 'config-partition', 'pump-0001', '--out', out)).code).toBe(0)
    const { entries } = readImage(out)
    expect(entries.slice(-2)).toEqual([
      { namespace: 'fieldflash', key: 'wifi_ssid', type: 'string', value: 'Plant 3 – Hall' },
      { namespace: 'fieldflash', key: 'wifi_pass', type: 'string', value: 'correct horse battery' },
    ])
    expect((await cli(dataDir, 'audit')).out).not.toContain('correct horse')
    // Half a Wi-Fi keeps the other half, as in the app: a new SSID keeps the saved password.
    expect((await cli(dataDir, 'site', 'set', '--wifi-ssid', 'Hall 2')).code).toBe(0)
    expect((await cli(dataDir, 'config-partition', 'pump-0001', '--out', out)).code).toBe(0)
    expect(
      readImage(out)
        .entries.slice(-2)
        .map((e) => e.value),
    ).toEqual(['Hall 2', 'correct horse battery'])
    expect((await cli(dataDir, 'site', 'set', '--no-wifi')).code).toBe(0)
    expect((await cli(dataDir, 'site', 'show', '--json')).out).toContain('"wifi": null')
  })

  it.each([
    [['--wifi-ssid', 'x'.repeat(33), '--wifi-password', ''], /--wifi-ssid: must be 1–32 bytes/],
    [
      ['--wifi-ssid', 'Hall', '--wifi-password', 'short'],
      /--wifi-password: must be 8–63 printable/,
    ],
    [['--wifi-ssid', 'Hall'], /--wifi-password: is required/],
    [['--wifi-password', '12345678'], /--wifi-ssid: is required/],
  ])('refuses Wi-Fi %j naming the field', async (args, message) => {
    const dataDir = await setup()
    const run = await cli(dataDir, 'site', 'set', ...args)
    expect(run.code).toBe(2)
    expect(run.err).toMatch(message)
  })

  it('refuses what cannot fit before minting anything, naming the field', async () => {
    const dataDir = await setup()
    const long = `https://ota.example.com/${'a'.repeat(4000)}`
    expect((await cli(dataDir, 'site', 'set', '--ota-base-url', long)).code).toBe(0)
    const dir = await tempDir()
    const run = await cli(dataDir, 'config-partition', 'pump-0001', '--out', join(dir, 'p.bin'))
    expect(run.code).toBe(2)
    expect(run.err).toMatch(/otaBaseUrl: must be at most 3967 bytes/)
    const bad = await cli(
      dataDir,
      'config-partition',
      'pump-0001',
      '--out',
      join(dir, 'p.bin'),
      '--size',
      '0x2000',
    )
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/size: must be a multiple of 0x1000 bytes from 0x3000 to 0x8000000/)
    const device = JSON.parse((await cli(dataDir, 'device', 'show', 'pump-0001', '--json')).out)
    expect(device.tokens).toEqual([])
    expect(await readdir(dir)).toEqual([])
  })

  it('says plainly that an ESP8266 has no NVS and keeps it on the template path', async () => {
    const dataDir = await setup('esp8266-nodemcuv2')
    const run = await cli(
      dataDir,
      'config-partition',
      'pump-0001',
      '--out',
      join(await tempDir(), 'p.bin'),
    )
    expect(run.code).toBe(1)
    expect(run.err).toMatch(/ESP8266: it has no NVS.*template/)
  })
})
