import { describe, expect, it } from 'vitest'
import { addDevice, getDevice } from '../../main/devices/devices'
import { regenerateToken, revokeToken } from '../../main/credentials/tokens'
import { tokenFingerprint, verificationCode } from '../../main/credentials/token-format'
import { saveSiteProfile } from '../../main/site/site-profile'
import { freshStore, loadCatalog, SAMPLE_SITE } from '../helpers/fixtures'
import { registryText } from '../helpers/engine'

async function deviceStore() {
  const { store, dataDir } = await freshStore()
  await addDevice(store, await loadCatalog(), { uid: 'pump-0001', boardId: 'esp32-devkitc' })
  return { store, dataDir }
}

describe('regenerateToken', () => {
  it('returns the new token once, with its fingerprint, expected code and the outdated-config warning', async () => {
    const { store } = await deviceStore()
    const minted = await regenerateToken(store, 'pump-0001')
    expect(minted.view.fingerprint).toBe(tokenFingerprint(minted.token))
    expect(minted.view.expectedCode).toBe(verificationCode(minted.token, 'pump-0001'))
    expect(minted.view.state).toBe('issued')
    expect(minted.warning).toMatch(/device_config.h of this device is now outdated/)
  })

  it('marks the previous token superseded', async () => {
    const { store } = await deviceStore()
    const first = await regenerateToken(store, 'pump-0001', new Date('2026-11-23T10:00:00Z'))
    const second = await regenerateToken(store, 'pump-0001', new Date('2026-11-23T11:00:00Z'))
    expect(second.superseded?.fingerprint).toBe(first.view.fingerprint)
    const tokens = (await getDevice(store, 'pump-0001', new Date('2026-11-23T12:00:00Z'))).tokens
    expect(tokens.map((t) => [t.fingerprint, t.state])).toEqual([
      [first.view.fingerprint, 'superseded'],
      [second.view.fingerprint, 'issued'],
    ])
    expect(tokens[0]!.endedAt).toBe('2026-11-23T11:00:00.000Z')
  })

  it('never writes the plaintext token to the data directory', async () => {
    const { store } = await deviceStore()
    const minted = await regenerateToken(store, 'pump-0001')
    // SQLite's database and its write-ahead log, where a fresh commit lives until a checkpoint
    // (closed first: reading the file through another descriptor would drop SQLite's locks on it),
    // or every row of the PostgreSQL registry.
    await store.close()
    const file = await registryText(store.dataDir)
    expect(file).not.toContain(minted.token)
    expect(file).not.toContain(minted.token.slice(5, 40))
    expect(file).toContain(minted.view.fingerprint)
  })
})

describe('token lifetime', () => {
  it('reads an issued token as expired once its lifetime has passed', async () => {
    const { store } = await deviceStore()
    await saveSiteProfile(store, { ...SAMPLE_SITE, tokenLifetimeHours: 2 })
    const minted = await regenerateToken(store, 'pump-0001', new Date('2026-11-23T10:00:00Z'))
    expect(minted.view.expiresAt).toBe('2026-11-23T12:00:00.000Z')
    expect(
      (await getDevice(store, 'pump-0001', new Date('2026-11-23T11:59:59Z'))).currentToken?.state,
    ).toBe('issued')
    expect(
      (await getDevice(store, 'pump-0001', new Date('2026-11-23T12:00:00Z'))).currentToken?.state,
    ).toBe('expired')
  })

  it('records an expired token as expired, not superseded, when a new one is minted', async () => {
    const { store } = await deviceStore()
    await saveSiteProfile(store, { ...SAMPLE_SITE, tokenLifetimeHours: 1 })
    const old = await regenerateToken(store, 'pump-0001', new Date('2026-11-23T10:00:00Z'))
    const fresh = await regenerateToken(store, 'pump-0001', new Date('2026-11-23T15:00:00Z'))
    expect(fresh.superseded).toBeNull()
    expect(
      (await getDevice(store, 'pump-0001', new Date('2026-11-23T15:00:00Z'))).tokens[0],
    ).toMatchObject({
      fingerprint: old.view.fingerprint,
      state: 'expired',
    })
  })
})

describe('revokeToken', () => {
  it('revokes the issued token and refuses when nothing is left to revoke', async () => {
    const { store } = await deviceStore()
    const minted = await regenerateToken(store, 'pump-0001')
    expect(await revokeToken(store, 'pump-0001')).toMatchObject({
      fingerprint: minted.view.fingerprint,
      state: 'revoked',
    })
    await expect(revokeToken(store, 'pump-0001')).rejects.toThrow(
      /has no token in the issued state/,
    )
  })
})
