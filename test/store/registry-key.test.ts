import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  openSecret,
  publicKeyText,
  readRegistryKey,
  registryKey,
  sealingKeyFrom,
  sealSecret,
} from '../../main/store/registry-key'
import { tempDir } from '../helpers/fixtures'

describe("the site's registry key", () => {
  it('seals a secret for one place: it opens there, and nowhere else, nor with another key', async () => {
    const dataDir = await tempDir()
    expect(readRegistryKey(dataDir)).toBeNull()
    const key = registryKey(dataDir)
    // Made once: read back the same, by any process.
    expect(registryKey(dataDir)).toEqual(key)
    expect(await readFile(join(dataDir, 'registry-key'), 'utf8')).not.toContain(key.id)

    const sealed = sealSecret(key, 'mqtt-pass-0001', 'devices.mqtt_password:pump-0001')
    expect(sealed).not.toContain('mqtt-pass-0001')
    expect(sealSecret(key, 'mqtt-pass-0001', 'devices.mqtt_password:pump-0001')).not.toBe(sealed)
    expect(openSecret(key, sealed, 'devices.mqtt_password:pump-0001')).toBe('mqtt-pass-0001')

    // Moved to another device's row, or changed by one character: refused.
    expect(() => openSecret(key, sealed, 'devices.mqtt_password:pump-0002')).toThrow(
      /changed or moved from another row/,
    )
    const parts = sealed.split('.')
    parts[3] = parts[3]!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))
    expect(() => openSecret(key, parts.join('.'), 'devices.mqtt_password:pump-0001')).toThrow(
      /changed or moved/,
    )
    const other = registryKey(await tempDir())
    expect(() => openSecret(other, sealed, 'devices.mqtt_password:pump-0001')).toThrow(
      expect.objectContaining({ code: 'key_mismatch' }),
    )
  })

  it('seals with its public half alone (what a station without the key has); only the key opens', async () => {
    const key = registryKey(await tempDir())
    const published = publicKeyText(key)
    expect(published).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const sealing = sealingKeyFrom(key.id, published, 'the database')
    const sealed = sealSecret(sealing, 'wifi-pass', 'site.wifi_password')
    expect(sealed).toMatch(/^ffs2\.[0-9a-f]{16}\./)
    expect(openSecret(key, sealed, 'site.wifi_password')).toBe('wifi-pass')
    // A public key that is not the named key's (changed in the database) is refused.
    const stranger = publicKeyText(registryKey(await tempDir()))
    expect(() => sealingKeyFrom(key.id, stranger, 'the database')).toThrow(
      expect.objectContaining({ code: 'store_corrupt' }),
    )
  })
})
