import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cStringLiteral } from '../../main/template/c-string-literal'
import { renderDeviceConfig, type DeviceConfigValues } from '../../main/template/device-config'
import { compileC, run } from '../helpers/gcc'
import { tempDir } from '../helpers/fixtures'

const STRING_MACROS = [
  ['DEVICE_UID', 'deviceUid'],
  ['PLATFORM_KEY', 'platformKey'],
  ['MQTT_HOST', 'mqttHost'],
  ['DEVICE_MQTT_USERNAME', 'mqttUsername'],
  ['DEVICE_MQTT_PASSWORD', 'mqttPassword'],
  ['OTA_BASE_URL', 'otaBaseUrl'],
  ['API_HOST', 'apiHost'],
  ['PROVISIONING_TOKEN', 'provisioningToken'],
] as const

/** Any text without NUL, with extra weight on the bytes that break naive escaping. */
const hostileText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '"',
        '\\',
        '?',
        '??=',
        '??/',
        '??(',
        '\n',
        '\r',
        '\t',
        '\x7f',
        '\x01',
        '*/',
        '/*',
        '%',
        '\\x41',
        '1',
      ),
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: 'binary' }),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join('').replace(/\0/g, ''))

const valuesArb: fc.Arbitrary<DeviceConfigValues> = fc.record({
  deviceUid: hostileText,
  platformKey: hostileText,
  mqttHost: hostileText,
  mqttPort: fc.integer({ min: 1, max: 65535 }),
  mqttUsername: hostileText,
  mqttPassword: hostileText,
  otaBaseUrl: hostileText,
  apiHost: hostileText,
  provisioningToken: hostileText,
  boardId: hostileText,
  tokenFingerprint: hostileText,
  generatedAt: fc.date({
    min: new Date('2020-01-01'),
    max: new Date('2100-01-01'),
    noInvalidDate: true,
  }),
})

/**
 * One C program includes every generated header in turn and prints each macro's bytes in hex, so
 * a whole batch of headers is proven by a single gcc -Wall -Werror run.
 */
async function printBack(headers: string[]): Promise<string[][]> {
  const dir = await tempDir('fieldflash-cfg-')
  const lines = [
    '#include <stdio.h>',
    '#include <string.h>',
    'static void hex(const char *s, size_t n) {',
    '  for (size_t i = 0; i < n; i++) printf("%02x", (unsigned char)s[i]);',
    '  printf("\\n");',
    '}',
    'int main(void) {',
  ]
  for (const [i, header] of headers.entries()) {
    await writeFile(join(dir, `config_${i}.h`), header)
    lines.push('#undef FIELDFLASH_DEVICE_CONFIG_H')
    for (const [macro] of STRING_MACROS) lines.push(`#undef ${macro}`)
    lines.push(
      '#undef MQTT_PORT',
      '#undef FF_BOARD_ID',
      '#undef FF_TOKEN_FINGERPRINT',
      '#undef FF_GENERATED_AT',
    )
    lines.push(`#include "config_${i}.h"`, '{')
    for (const [macro] of STRING_MACROS) lines.push(`  hex(${macro}, sizeof(${macro}) - 1);`)
    lines.push('  printf("%d\\n", MQTT_PORT);', '}')
  }
  lines.push('return 0;', '}')
  await writeFile(join(dir, 'main.c'), lines.join('\n'))
  // -trigraphs: a `??=` that slipped through unescaped would now change the value and fail.
  await compileC([join(dir, 'main.c')], join(dir, 'print'), ['-trigraphs', '-Wno-trigraphs'])
  const { stdout } = await run(join(dir, 'print'), [], { maxBuffer: 64 * 1024 * 1024 })
  const all = stdout.trimEnd().split('\n')
  const per = STRING_MACROS.length + 1
  return headers.map((_, i) => all.slice(i * per, (i + 1) * per))
}

describe('renderDeviceConfig', () => {
  it('compiles with gcc -Wall -Werror and gives the firmware every value byte for byte, whatever it holds', async () => {
    const seed = Number(process.env.FC_SEED ?? Date.now() % 100000)
    const samples = fc.sample(valuesArb, { numRuns: 300, seed })
    const headers = samples.map(renderDeviceConfig)
    const printed = await printBack(headers)
    samples.forEach((values, i) => {
      const expected = STRING_MACROS.map(([, key]) =>
        Buffer.from(values[key], 'utf8').toString('hex'),
      )
      expect(printed[i], `sample ${i} of FC_SEED=${seed}: ${JSON.stringify(values)}`).toEqual([
        ...expected,
        String(values.mqttPort),
      ])
    })
  })

  it('never puts the token in the comment and names board, UID, fingerprint and time there', () => {
    const token = 'ffpt_' + 'a'.repeat(59)
    const header = renderDeviceConfig({
      deviceUid: 'pump-0001',
      platformKey: 'pk',
      mqttHost: 'mqtt.example.com',
      mqttPort: 8883,
      mqttUsername: 'dev-pump-0001',
      mqttPassword: 'secret-password',
      otaBaseUrl: 'https://ota.example.com/',
      apiHost: 'api.example.com',
      provisioningToken: token,
      boardId: 'esp32-devkitc',
      tokenFingerprint: '1a2b3c4d',
      generatedAt: new Date('2026-11-23T10:00:00Z'),
    })
    const comment = header.slice(0, header.indexOf('*/'))
    expect(comment).toContain('Board: esp32-devkitc')
    expect(comment).toContain('Device UID: pump-0001')
    expect(comment).toContain('Token fingerprint: 1a2b3c4d')
    expect(comment).toContain('Generated: 2026-11-23T10:00:00.000Z')
    expect(comment).not.toContain(token)
    expect(header.match(new RegExp(token, 'g'))).toHaveLength(1)
    expect(header).toMatch(/^#define MQTT_PORT\s+8883$/m)
    expect(header).toMatch(/#ifndef FIELDFLASH_DEVICE_CONFIG_H\n#define FIELDFLASH_DEVICE_CONFIG_H/)
  })
})

describe('cStringLiteral', () => {
  it('escapes quotes, backslashes, trigraph question marks and non-ASCII bytes', () => {
    expect(cStringLiteral('f', 'a"b\\c??=d')).toBe('"a\\"b\\\\c\\?\\?=d"')
    expect(cStringLiteral('f', 'é\n1')).toBe('"\\303\\251\\0121"')
  })

  it('rejects a NUL byte or broken Unicode naming the field', () => {
    expect(() => cStringLiteral('mqttHost', 'a\0b')).toThrow(
      'mqttHost: must not contain a NUL character',
    )
    expect(() => cStringLiteral('apiHost', 'a\ud800b')).toThrow(
      'apiHost: must be valid Unicode text',
    )
  })
})
