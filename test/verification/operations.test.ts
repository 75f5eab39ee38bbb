import { describe, expect, it } from 'vitest'
import { readAuditLog } from '../../main/audit/audit-log'
import {
  approveOperation,
  listOperations,
  recordOperation,
  rejectOperation,
} from '../../main/verification/operations'
import { at, bannerFor, deviceWithTokens, MAC_A, MAC_B } from './helpers'

describe('recordOperation', () => {
  it('records one pending operation per board and token, with UID, fingerprint, code, MAC, port and time', async () => {
    const { store, current } = await deviceWithTokens()
    const banner = bannerFor('pump-0001', current)
    const first = (await recordOperation(store, { banner, port: '/dev/ttyUSB0' }, at(2)))!
    const again = (await recordOperation(store, { banner, port: '/dev/ttyUSB0' }, at(2.1)))!

    expect(first.created).toBe(true)
    expect(again).toMatchObject({ created: false, operation: { id: first.operation.id } })
    expect(first.operation).toMatchObject({
      fingerprint: current.fingerprint,
      code: current.expectedCode,
      mac: MAC_A,
      port: '/dev/ttyUSB0',
      firstSeenAt: at(2).toISOString(),
      classification: 'verified',
      state: 'pending',
    })
    expect(await listOperations(store, 'pump-0001')).toHaveLength(1)
    const log = { entries: await readAuditLog(store, { uid: 'pump-0001' }) }
    expect(log.entries.at(-1)).toMatchObject({
      type: 'operation.recorded',
      operationId: first.operation.id,
      classification: 'verified',
      mac: MAC_A,
    })
  })

  it('records a second board showing the same token as another board', async () => {
    const { store, current } = await deviceWithTokens()
    await recordOperation(
      store,
      { banner: bannerFor('pump-0001', current, MAC_A), port: 'p' },
      at(2),
    )
    const second = (await recordOperation(
      store,
      { banner: bannerFor('pump-0001', current, MAC_B), port: 'p' },
      at(2.5),
    ))!
    expect(second.operation.classification).toBe('another_board')
  })

  it('marks a token expired when a banner shows it after its lifetime, and logs it', async () => {
    const { store, current } = await deviceWithTokens()
    await recordOperation(store, { banner: bannerFor('pump-0001', current), port: 'p' }, at(500))
    const token = (await store.device('pump-0001'))!.tokens.at(-1)!
    expect(token).toMatchObject({ state: 'expired', endedAt: token.expiresAt })
    const types = (await readAuditLog(store)).map((e) => e.type)
    expect(types.slice(-2)).toEqual(['token.expired', 'operation.recorded'])
  })

  it('records nothing for a device this store does not know', async () => {
    const { store, current } = await deviceWithTokens()
    expect(
      await recordOperation(store, { banner: bannerFor('tank-0009', current), port: 'p' }),
    ).toBeNull()
  })
})

describe('approveOperation', () => {
  it('consumes the token, approves the operation with the approver and the device, and logs all three', async () => {
    const { store, current } = await deviceWithTokens()
    const { operation } = (await recordOperation(
      store,
      { banner: bannerFor('pump-0001', current), port: 'p' },
      at(2),
    ))!
    const approval = await approveOperation(
      store,
      { uid: 'pump-0001', operationId: operation.id, approver: '  Alice Novak ' },
      at(2.2),
    )
    expect(approval.operation).toMatchObject({
      state: 'approved',
      approver: 'Alice Novak',
      decidedAt: at(2.2).toISOString(),
    })
    expect(approval.token).toMatchObject({ fingerprint: current.fingerprint, state: 'consumed' })
    const device = (await store.device('pump-0001'))!
    expect(device.approvedAt).toBe(at(2.2).toISOString())
    expect(device.tokens.at(-1)!.state).toBe('consumed')
    const types = (await readAuditLog(store)).map((e) => e.type)
    expect(types.slice(-3)).toEqual(['operation.approved', 'token.consumed', 'device.approved'])
  })

  it('refuses to approve the same operation twice', async () => {
    const { store, current } = await deviceWithTokens()
    const { operation } = (await recordOperation(
      store,
      { banner: bannerFor('pump-0001', current), port: 'p' },
      at(2),
    ))!
    await approveOperation(
      store,
      { uid: 'pump-0001', operationId: operation.id, approver: 'Alice' },
      at(2.2),
    )
    await expect(
      approveOperation(
        store,
        { uid: 'pump-0001', operationId: operation.id, approver: 'A. Tech' },
        at(2.3),
      ),
    ).rejects.toThrow(
      expect.objectContaining({
        code: 'invalid_state',
        message: expect.stringMatching(/already approved .* by Alice/),
      }),
    )
  })

  it('refuses an operation that is not verified, and changes nothing', async () => {
    const { store, old } = await deviceWithTokens()
    const { operation } = (await recordOperation(
      store,
      { banner: bannerFor('pump-0001', old), port: 'p' },
      at(2),
    ))!
    const before = await store.device('pump-0001')
    await expect(
      approveOperation(
        store,
        { uid: 'pump-0001', operationId: operation.id, approver: 'A. Tech' },
        at(2.1),
      ),
    ).rejects.toThrow(
      expect.objectContaining({
        code: 'invalid_state',
        message: expect.stringMatching(/superseded/),
      }),
    )
    expect(await store.device('pump-0001')).toEqual(before)
  })

  it('refuses the second board when the same token shows up on two boards', async () => {
    const { store, current } = await deviceWithTokens()
    await recordOperation(
      store,
      { banner: bannerFor('pump-0001', current, MAC_A), port: 'p' },
      at(2),
    )
    const second = (await recordOperation(
      store,
      { banner: bannerFor('pump-0001', current, MAC_B), port: 'p' },
      at(2.1),
    ))!
    await expect(
      approveOperation(
        store,
        { uid: 'pump-0001', operationId: second.operation.id, approver: 'A. Tech' },
        at(2.2),
      ),
    ).rejects.toThrow(/MAC/)
  })

  it('names a bad approver name, an unknown operation and an unknown device', async () => {
    const { store, current } = await deviceWithTokens()
    const { operation } = (await recordOperation(
      store,
      { banner: bannerFor('pump-0001', current), port: 'p' },
      at(2),
    ))!
    await expect(
      approveOperation(store, {
        uid: 'pump-0001',
        operationId: operation.id,
        approver: 'a\nb',
      }),
    ).rejects.toThrow(expect.objectContaining({ code: 'invalid_input', field: 'approver' }))
    // An approval always names who made it.
    for (const approver of [undefined, null]) {
      await expect(
        approveOperation(store, { uid: 'pump-0001', operationId: operation.id, approver }),
      ).rejects.toThrow(/approver: is required: an approval records who made it/)
    }
    expect((await store.device('pump-0001'))!.operations[0]!.state).toBe('pending')
    await expect(
      approveOperation(store, {
        uid: 'pump-0001',
        operationId: 'op-none',
        approver: 'A. Tech',
      }),
    ).rejects.toThrow(expect.objectContaining({ code: 'not_found' }))
    await expect(
      approveOperation(store, {
        uid: 'nobody-here',
        operationId: operation.id,
        approver: 'A. Tech',
      }),
    ).rejects.toThrow(expect.objectContaining({ code: 'not_found' }))
  })
})

describe('rejectOperation', () => {
  it('records the rejection with who and why, leaves the token alone, and then refuses approval', async () => {
    const { store, current } = await deviceWithTokens()
    const { operation } = (await recordOperation(
      store,
      { banner: bannerFor('pump-0001', current), port: 'p' },
      at(2),
    ))!
    const rejected = await rejectOperation(
      store,
      { uid: 'pump-0001', operationId: operation.id, approver: 'Bob', reason: 'wrong enclosure' },
      at(2.5),
    )
    expect(rejected).toMatchObject({
      state: 'rejected',
      approver: 'Bob',
      reason: 'wrong enclosure',
    })
    expect((await store.device('pump-0001'))!.tokens.at(-1)!.state).toBe('issued')
    expect((await readAuditLog(store)).at(-1)).toMatchObject({
      type: 'operation.rejected',
      approver: 'Bob',
      reason: 'wrong enclosure',
    })
    await expect(
      approveOperation(store, {
        uid: 'pump-0001',
        operationId: operation.id,
        approver: 'A. Tech',
      }),
    ).rejects.toThrow(
      expect.objectContaining({
        code: 'invalid_state',
        message: expect.stringMatching(/rejected/),
      }),
    )
    // The next boot of that board starts a new operation.
    const next = (await recordOperation(
      store,
      { banner: bannerFor('pump-0001', current), port: 'p' },
      at(3),
    ))!
    expect(next.created).toBe(true)
  })
})
