import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { detectFirmwareInputKind } from '../../../main/flash/firmware/load-firmware-bundle'
import { espImage, expectFirmwareError, tempDir, writeFiles } from './firmware-fixtures'

describe('detectFirmwareInputKind', () => {
  it('recognises each kind of input from the chosen path', async () => {
    const dir = await tempDir('fieldflash-detect-')
    const image = espImage()
    await writeFiles(dir, {
      'pio/firmware.bin': image,
      'pio/partitions.bin': new Uint8Array(16),
      'project/platformio.ini': new Uint8Array([0x3b]),
      'idf/flasher_args.json': { flash_files: {} },
      'ewt/manifest.json': { builds: [] },
      'other/renamed-manifest.json': { builds: [] },
      'other/renamed-args.json': { flash_files: {} },
      'other/factory.bin': image,
      'lone/firmware.bin': image,
    })
    const cases: [string, string][] = [
      ['pio', 'platformio'],
      ['pio/firmware.bin', 'platformio'],
      ['project', 'platformio'],
      ['idf', 'esp-idf'],
      ['idf/flasher_args.json', 'esp-idf'],
      ['ewt', 'esp-web-tools'],
      ['ewt/manifest.json', 'esp-web-tools'],
      ['other/renamed-manifest.json', 'esp-web-tools'],
      ['other/renamed-args.json', 'esp-idf'],
      ['other/factory.bin', 'merged-bin'],
      ['lone/firmware.bin', 'merged-bin'],
    ]
    for (const [path, kind] of cases) {
      expect([path, await detectFirmwareInputKind(join(dir, path))]).toEqual([path, kind])
    }
  })

  it('says what it expected when a folder holds no firmware', async () => {
    const dir = await tempDir('fieldflash-detect-empty-')
    await expectFirmwareError(
      detectFirmwareInputKind(dir),
      'not_found',
      `${dir} holds no firmware FieldFlash recognises`,
      'flasher_args.json',
      'manifest.json',
    )
  })

  it('refuses a missing path, an unknown file type, bad JSON and JSON of another shape', async () => {
    const dir = await tempDir('fieldflash-detect-bad-')
    await writeFiles(dir, {
      'firmware.elf': new Uint8Array([0x7f, 0x45]),
      'broken.json': new TextEncoder().encode('{ "builds": ['),
      'package.json': { name: 'not-firmware' },
    })
    await expectFirmwareError(
      detectFirmwareInputKind(join(dir, 'gone.bin')),
      'not_found',
      `${join(dir, 'gone.bin')} does not exist`,
    )
    await expectFirmwareError(
      detectFirmwareInputKind(join(dir, 'firmware.elf')),
      'invalid_input',
      `${join(dir, 'firmware.elf')} is not a firmware file FieldFlash knows`,
    )
    await expectFirmwareError(
      detectFirmwareInputKind(join(dir, 'broken.json')),
      'invalid_input',
      `${join(dir, 'broken.json')} is not valid JSON`,
    )
    await expectFirmwareError(
      detectFirmwareInputKind(join(dir, 'package.json')),
      'invalid_input',
      `${join(dir, 'package.json')} is neither an ESP Web Tools manifest`,
    )
  })
})
