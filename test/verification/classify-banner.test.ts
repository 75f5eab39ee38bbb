import { describe, expect, it } from 'vitest'
import { revokeToken } from '../../main/credentials/tokens'
import { classifyBanner } from '../../main/verification/classify-banner'
import { at, bannerFor, deviceWithTokens, MAC_A, MAC_B, recordFlash } from './helpers'

describe('classifyBanner', () => {
  it("verifies the current token's fingerprint with its expected code, and says approving is next", async () => {
    const { store, current } = await deviceWithTokens()
    const verdict = classifyBanner(
      await store.device('pump-0001'),
      bannerFor('pump-0001', current),
      at(2),
    )
    expect(verdict).toMatchObject({
      classification: 'verified',
      verified: true,
      seenCode: current.expectedCode,
      expectedCode: current.expectedCode,
      mac: MAC_A,
      headline: 'Verified',
    })
    expect(verdict.nextStep).toMatch(/^Approve/)
  })

  it('names a superseded token as stale, says when, and that the template must be downloaded, rebuilt and flashed again', async () => {
    const { store, old } = await deviceWithTokens()
    const verdict = classifyBanner(
      await store.device('pump-0001'),
      bannerFor('pump-0001', old),
      at(2),
    )
    expect(verdict.classification).toBe('stale')
    expect(verdict.verified).toBe(false)
    expect(verdict.message).toContain('superseded on 2025-03-01 09:00:00 UTC')
    expect(verdict.nextStep).toBe(
      'Download the template of pump-0001 again, rebuild the firmware and flash it, then verify again.',
    )
  })

  it('names revoked and expired tokens', async () => {
    const { store, current } = await deviceWithTokens()
    // Lifetime is the default 168 h.
    expect(
      classifyBanner(await store.device('pump-0001'), bannerFor('pump-0001', current), at(200))
        .classification,
    ).toBe('expired')
    await revokeToken(store, 'pump-0001', at(2))
    const verdict = classifyBanner(
      await store.device('pump-0001'),
      bannerFor('pump-0001', current),
      at(3),
    )
    expect(verdict.classification).toBe('revoked')
    expect(verdict.message).toContain('revoked on 2025-03-01 10:00:00 UTC')
  })

  it('names a consumed token, telling the approved board apart from a copy', async () => {
    const { store, current } = await deviceWithTokens()
    await store.write(async (tx) => {
      const device = (await tx.device('pump-0001'))!
      await tx.saveDevice(device, {
        ...device,
        tokens: device.tokens.map((t) =>
          t.fingerprint === current.fingerprint
            ? { ...t, state: 'consumed', endedAt: at(2).toISOString() }
            : t,
        ),
        operations: [
          {
            id: 'op-1',
            fingerprint: current.fingerprint,
            code: current.expectedCode,
            mac: MAC_A,
            port: '/dev/ttyUSB0',
            firstSeenAt: at(2).toISOString(),
            classification: 'verified',
            state: 'approved',
            decidedAt: at(2).toISOString(),
            approver: 'Alice',
          },
        ],
      })
    })
    const same = classifyBanner(
      await store.device('pump-0001'),
      bannerFor('pump-0001', current, MAC_A),
      at(3),
    )
    expect(same).toMatchObject({ classification: 'consumed', headline: 'Already approved' })
    expect(same.message).toContain('by Alice')
    const copy = classifyBanner(
      await store.device('pump-0001'),
      bannerFor('pump-0001', current, MAC_B),
      at(3),
    )
    expect(copy).toMatchObject({ classification: 'consumed', headline: 'Token already used' })
  })

  it('names a code that does not match the current fingerprint as a mismatch (defect or tampering)', async () => {
    const { store, current } = await deviceWithTokens()
    const wrong = current.expectedCode === 'AAAA-AAAA' ? 'BBBB-BBBB' : 'AAAA-AAAA'
    const verdict = classifyBanner(
      await store.device('pump-0001'),
      { ...bannerFor('pump-0001', current), code: wrong },
      at(2),
    )
    expect(verdict).toMatchObject({
      classification: 'code_mismatch',
      seenCode: wrong,
      expectedCode: current.expectedCode,
    })
    expect(verdict.message).toMatch(/firmware computes the code wrongly or .* tampered/)
  })

  it('names another board when the MAC differs from the one the device was flashed onto', async () => {
    const { store, current } = await deviceWithTokens()
    await recordFlash(store, 'pump-0001', MAC_A.toUpperCase())
    expect(
      classifyBanner(await store.device('pump-0001'), bannerFor('pump-0001', current, MAC_A), at(2))
        .classification,
    ).toBe('verified')
    const verdict = classifyBanner(
      await store.device('pump-0001'),
      bannerFor('pump-0001', current, MAC_B),
      at(2),
    )
    expect(verdict).toMatchObject({ classification: 'another_board', recordedMac: MAC_A })
    expect(verdict.message).toContain(`differs from ${MAC_A}`)
    expect(verdict.nextStep).toMatch(/^Do not approve. Revoke the token/)
  })

  it('names an unknown device, an unknown fingerprint, and a board of another device than expected', async () => {
    const { store, current } = await deviceWithTokens()
    expect(
      classifyBanner(await store.device('tank-0009'), bannerFor('tank-0009', current), at(2))
        .classification,
    ).toBe('unknown_device')
    const foreign = { ...current, fingerprint: '00000000' }
    const unknown = classifyBanner(
      await store.device('pump-0001'),
      bannerFor('pump-0001', foreign),
      at(2),
    )
    expect(unknown).toMatchObject({
      classification: 'unknown_fingerprint',
      expectedCode: current.expectedCode,
    })
    const other = classifyBanner(
      await store.device('pump-0001'),
      bannerFor('pump-0001', current),
      at(2),
      'tank-0009',
    )
    expect(other.classification).toBe('wrong_device')
    expect(other.message).toContain('You are checking tank-0009')
  })

  it('gives every verdict a headline, a message and a next step', async () => {
    const { store, old, current } = await deviceWithTokens()
    for (const banner of [
      bannerFor('pump-0001', current),
      bannerFor('pump-0001', old),
      bannerFor('nobody-here', current),
    ]) {
      const v = classifyBanner(await store.device(banner.uid), banner, at(2))
      expect(v.headline.length).toBeGreaterThan(3)
      expect(v.message.length).toBeGreaterThan(20)
      expect(v.nextStep.length).toBeGreaterThan(10)
    }
  })
})
