import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildConfigPartition, configEntries } from '../../main/config-partition/config-partition'
import { generateNvsPartition, type NvsEntry } from '../../main/config-partition/nvs-partition'
import type { DeviceValues } from '../../main/credentials/device-values'
import {
  generateTokenString,
  tokenFingerprint,
  verificationCode,
} from '../../main/credentials/token-format'
import { tempDir } from '../helpers/fixtures'
import { buildHostBoard, removeBuild } from './build'

// The base firmware's config path end to end: FieldFlash's ffcfg bytes, read back by the
// firmware's own C (ff_config_load, through an NVS reader standing in for Preferences) in a host
// build with no device_config.h, as `pio run -e generic` builds it.

const run = promisify(execFile)
let binary = ''
beforeAll(async () => {
  binary = await buildHostBoard(null)
}, 120_000)
afterAll(async () => {
  if (binary) await removeBuild(binary)
})

function values(token: string): DeviceValues {
  return {
    deviceUid: 'pump-0042',
    platformKey: 'pk_live_1',
    mqttHost: 'mqtt.example.com',
    mqttPort: 8883,
    mqttUsername: 'dev-pump-0042',
    mqttPassword: 'Zq9"x\\secret',
    otaBaseUrl: 'https://ota.example.com/fw',
    apiHost: 'api.example.com',
    provisioningToken: token,
    wifi: { ssid: 'Plant 3 – Hall', password: 'correct horse' },
  }
}

/** Boots the generic board on a partition image; its console, two lines. */
async function boot(image: Buffer | null): Promise<string> {
  const args = ['--mac', '24:0a:c4:12:34:56', '--interval-ms', '50', '--count', '2']
  if (image) {
    const file = join(await tempDir(), 'ffcfg.bin')
    await writeFile(file, image)
    args.push('--nvs', file)
  }
  const { stdout } = await run(binary, args)
  return stdout
}

describe('the base firmware reading its ffcfg partition (host build, FF_GENERIC_BUILD)', () => {
  it("prints the device's banner with cfg=nvs, its verification code, and no secret", async () => {
    const token = generateTokenString()
    const console = await boot(buildConfigPartition(values(token), 0x3000))
    const banner = `FFBOOT v=1 uid=pump-0042 fp=${tokenFingerprint(token)} code=${verificationCode(token, 'pump-0042')} mac=24:0a:c4:12:34:56 fw=`
    expect(console).toContain(banner)
    expect(console).toMatch(/ cfg=nvs n=[0-9a-f]{16}\r\n/)
    expect(console).not.toContain(token)
    expect(console).not.toContain('secret')
    expect(console).not.toContain('correct horse')
  })

  it('names a missing or mistyped key, and says cfg_none with no partition', async () => {
    const entries = configEntries(values(generateTokenString()))
    const without = (key: string): NvsEntry[] =>
      entries.filter((e) => !('key' in e) || e.key !== key)
    expect(await boot(generateNvsPartition(without('mqtt_pass'), 0x3000))).toMatch(
      /FFERR v=1 reason=cfg_missing_mqtt_pass\r\n/,
    )
    const mistyped = entries.map((e) =>
      'key' in e && e.key === 'mqtt_port'
        ? { kind: 'string' as const, key: 'mqtt_port', value: '8883' }
        : e,
    )
    expect(await boot(generateNvsPartition(mistyped, 0x3000))).toMatch(
      /FFERR v=1 reason=cfg_type_mqtt_port\r\n/,
    )
    expect(await boot(null)).toMatch(/FFERR v=1 .*reason=cfg_none\r\n/)
  })
})
