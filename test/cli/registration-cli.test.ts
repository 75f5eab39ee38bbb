import { describe, expect, it } from 'vitest'
import { seedDevices } from '../../devkit/seed-registry'
import { regenerateToken } from '../../main/credentials/tokens'
import { addDevice } from '../../main/devices/devices'
import { recordOperation } from '../../main/verification/operations'
import { freshStore, loadCatalog } from '../helpers/fixtures'
import { cli } from '../helpers/run-cli'

// Registration tokens as the CLI shows them (none, registered, expiring soon, expired, revoked),
// revocation, and a board the catalog says cannot be registered offline.

const DAY = 86_400_000
const daysAgo = (days: number): Date => new Date(Date.now() - days * DAY)

describe('registration state in device list and device show', () => {
  it('reads none, registered, expiring, expired and revoked from the registration tokens', async () => {
    const { store, dataDir } = await freshStore()
    const catalog = await loadCatalog()
    await seedDevices(store, catalog, { uids: ['dev-none'], stage: 'approved' })
    await seedDevices(store, catalog, { uids: ['dev-fresh'], stage: 'registered' })
    // The site's registration lifetime is 365 days: 350 days ago is 15 days from its end.
    await seedDevices(store, catalog, { uids: ['dev-old'], stage: 'registered', now: daysAgo(350) })
    await seedDevices(store, catalog, {
      uids: ['dev-gone'],
      stage: 'registered',
      now: daysAgo(400),
    })
    await seedDevices(store, catalog, { uids: ['dev-revoked'], stage: 'registered' })
    expect((await cli(dataDir, 'registration', 'revoke', 'dev-revoked')).code).toBe(0)

    const list = await cli(dataDir, '--json', 'device', 'list')
    expect(list.code, list.err).toBe(0)
    const states = Object.fromEntries(
      JSON.parse(list.out).map(
        (d: { uid: string; status: string; registration: { status: string } }) => [
          d.uid,
          [d.status, d.registration.status],
        ],
      ),
    )
    expect(states).toEqual({
      'dev-none': ['approved', 'none'],
      'dev-fresh': ['registered', 'registered'],
      'dev-old': ['registered', 'expiring'],
      // No longer registered: approved, with the registration state saying why.
      'dev-gone': ['approved', 'expired'],
      'dev-revoked': ['approved', 'revoked'],
    })
    const text = (await cli(dataDir, 'device', 'list')).out
    expect(text).toMatch(/dev-old .* registration [0-9a-f]{8} expiring/)

    const shown = await cli(dataDir, 'device', 'show', 'dev-fresh')
    const fingerprint = (await store.device('dev-fresh'))!.registrations[0]!.fingerprint
    expect(shown.out).toMatch(
      new RegExp(`registration: +registered \\(token ${fingerprint}, expires `),
    )
    // The fingerprint, never the registration token.
    expect(shown.out).not.toMatch(/ffrt_/)
  })

  it('revokes once, audits it, and refuses a device with nothing to revoke', async () => {
    const { store, dataDir } = await freshStore()
    const catalog = await loadCatalog()
    await seedDevices(store, catalog, { uids: ['dev-1'], stage: 'registered' })
    const fingerprint = (await store.device('dev-1'))!.registrations[0]!.fingerprint

    const revoked = await cli(dataDir, 'registration', 'revoke', 'dev-1')
    expect(revoked.code, revoked.err).toBe(0)
    expect(revoked.out).toContain(`Registration token ${fingerprint} of dev-1 is revoked`)
    const again = await cli(dataDir, 'registration', 'revoke', 'dev-1')
    expect(again.code).toBe(1)
    expect(again.err).toContain('dev-1 has no active registration to revoke')
    const audit = await cli(dataDir, 'audit', '--device', 'dev-1')
    expect(audit.out).toContain(`registration.revoked`)
    expect(audit.out).toContain(`fingerprint=${fingerprint}`)
  })
})

describe('a board that cannot be registered offline', () => {
  it('is named in the catalog, approved without an attempt, and refused by registration refresh', async () => {
    const { store, dataDir } = await freshStore()
    const catalog = await loadCatalog()
    const boards = await cli(dataDir, 'boards')
    expect(boards.out).toMatch(
      /esp8266-nodemcuv2 .*\n +cannot be registered offline: An ESP8266 has no NVS/,
    )
    const json = JSON.parse((await cli(dataDir, '--json', 'boards')).out)
    expect(json.find((b: { id: string }) => b.id === 'esp32-devkitc').offlineRegistration).toEqual({
      supported: true,
      why: null,
    })

    await addDevice(store, catalog, { uid: 'node-0001', boardId: 'esp8266-nodemcuv2' })
    const minted = await regenerateToken(store, 'node-0001')
    const { operation } = (await recordOperation(store, {
      banner: {
        uid: 'node-0001',
        fingerprint: minted.view.fingerprint,
        code: minted.view.expectedCode,
        mac: '5c:cf:7f:01:02:03',
      },
      port: '/dev/ttyUSB0',
    }))!
    // --port names a port that is not there: no attempt is made, so nothing fails.
    const approved = await cli(
      dataDir,
      'operation',
      'approve',
      'node-0001',
      operation.id,
      '--approver',
      'A. Tech',
      '--port',
      '/dev/ttyNOPE9',
    )
    expect(approved.err).toBe('')
    expect(approved.code).toBe(0)
    expect(approved.out).toContain(
      'Not registered: NodeMCU v2 (ESP8266) cannot be registered offline',
    )
    expect((await store.device('node-0001'))!.approvedAt).not.toBeNull()

    const refresh = await cli(
      dataDir,
      'registration',
      'refresh',
      '--port',
      '/dev/ttyNOPE9',
      '--device',
      'node-0001',
    )
    expect(refresh.code).toBe(1)
    expect(refresh.err).toContain('cannot be registered offline')
    expect((await store.device('node-0001'))!.registrations).toEqual([])
  })
})
