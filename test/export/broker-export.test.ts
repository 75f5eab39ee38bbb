import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { seedDevices } from '../../devkit/seed-registry'
import type { FieldFlashStore } from '../../main/store/store'
import { cli } from '../helpers/run-cli'
import { freshStore, loadCatalog, tempDir } from '../helpers/fixtures'
import {
  publish,
  startMosquitto,
  subscribe,
  type Broker,
  type Credentials,
  type Subscriber,
} from '../helpers/mosquitto'
import { until } from '../helpers/wait'

// `fieldflash broker export` judged by a real Mosquitto 2 on loopback: the devices FieldFlash set
// up offline log in with their own credentials, each only under its own topics.

const running: (Broker | Subscriber)[] = []
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop()
})

async function credentialsOf(store: FieldFlashStore, uid: string): Promise<Credentials> {
  const { username, password } = (await store.device(uid))!.mqtt
  return { username, password }
}

/** Two approved devices (one registered), one never approved; the broker files and a broker. */
async function siteWithBroker() {
  const { store, dataDir } = await freshStore()
  const catalog = await loadCatalog()
  await seedDevices(store, catalog, { uids: ['pump-0001'], stage: 'registered' })
  await seedDevices(store, catalog, { uids: ['pump-0002'], stage: 'approved' })
  await seedDevices(store, catalog, { uids: ['pump-0003'], stage: 'minted' })
  const dir = await tempDir('fieldflash-broker-')
  const out = join(dir, 'broker')
  const exported = await cli(
    dataDir,
    '--json',
    'broker',
    'export',
    '--format',
    'mosquitto',
    '--out',
    out,
  )
  expect(exported.err).toBe('')
  expect(exported.code).toBe(0)
  const files = JSON.parse(exported.out)
  const broker = await startMosquitto(dir, files)
  running.push(broker)
  return { store, dataDir, dir, out, files, broker }
}

async function subscriber(broker: Broker, as: Credentials, topics: string[]) {
  const s = await subscribe(broker, as, topics)
  running.push(s)
  return s
}

describe('fieldflash broker export, with a real Mosquitto', () => {
  it('writes hashed passwords and one topic prefix per approved device', async () => {
    const { store, files } = await siteWithBroker()
    const passwd = await readFile(files.passwordFile, 'utf8')
    const acl = await readFile(files.aclFile, 'utf8')
    for (const uid of ['pump-0001', 'pump-0002', 'pump-0003']) {
      expect(passwd).not.toContain((await store.device(uid))!.mqtt.password)
    }
    const { username } = await credentialsOf(store, 'pump-0001')
    expect(passwd).toMatch(new RegExp(`^${username}:\\$7\\$101\\$`, 'm'))
    expect(acl).toContain(`user ${username}\ntopic readwrite devices/pump-0001/#`)
    // Never approved: no login.
    expect(passwd).not.toContain((await credentialsOf(store, 'pump-0003')).username)
    expect((await stat(files.passwordFile)).mode & 0o777).toBe(0o600)
  })

  it('lets a device publish and read under its own prefix, refuses a wrong password and an unapproved device', async () => {
    const { store, broker } = await siteWithBroker()
    const one = await credentialsOf(store, 'pump-0001')
    const own = await subscriber(broker, one, ['devices/pump-0001/#'])
    expect(await publish(broker, one, 'devices/pump-0001/telemetry', '21.5')).toMatchObject({
      code: 0,
    })
    await until(() => own.messages.includes('devices/pump-0001/telemetry 21.5'))

    const wrong = await publish(
      broker,
      { ...one, password: 'not-the-password' },
      'devices/pump-0001/x',
      '1',
    )
    expect(wrong.code).not.toBe(0)
    expect(wrong.err).toContain('not authorised')
    const unapproved = await publish(
      broker,
      await credentialsOf(store, 'pump-0003'),
      'devices/pump-0003/x',
      '1',
    )
    expect(unapproved.code).not.toBe(0)
    expect(unapproved.err).toContain('not authorised')
  })

  it("keeps a device out of another device's topics, reading and writing", async () => {
    const { store, broker } = await siteWithBroker()
    const one = await credentialsOf(store, 'pump-0001')
    const two = await credentialsOf(store, 'pump-0002')
    // pump-0002 asks for pump-0001's topics too. The broker routes what pump-0001 publishes
    // before pump-0001's PUBACK, so a marker pump-0002 publishes afterwards on its own topic
    // arrives after anything it was allowed to read.
    const nosy = await subscriber(broker, two, ['devices/pump-0001/#', 'devices/pump-0002/#'])
    expect((await publish(broker, one, 'devices/pump-0001/secret', 's3')).code).toBe(0)
    expect((await publish(broker, two, 'devices/pump-0002/marker', 'm1')).code).toBe(0)
    await until(() => nosy.messages.includes('devices/pump-0002/marker m1'))
    expect(nosy.messages).toEqual(['devices/pump-0002/marker m1'])

    // Writing into another device's topics is dropped the same way.
    const owner = await subscriber(broker, one, ['devices/pump-0001/#'])
    expect((await publish(broker, two, 'devices/pump-0001/command', 'open')).code).toBe(0)
    expect((await publish(broker, one, 'devices/pump-0001/marker', 'm2')).code).toBe(0)
    await until(() => owner.messages.includes('devices/pump-0001/marker m2'))
    expect(owner.messages).toEqual(['devices/pump-0001/marker m2'])
  })

  it('after mqtt rotate and a new export, the old password is refused and the new one accepted', async () => {
    const { store, dataDir, out, broker } = await siteWithBroker()
    const before = await credentialsOf(store, 'pump-0002')
    expect((await publish(broker, before, 'devices/pump-0002/x', '1')).code).toBe(0)

    expect((await cli(dataDir, 'mqtt', 'rotate', 'pump-0002')).code).toBe(0)
    const after = await credentialsOf(store, 'pump-0002')
    expect(after.password).not.toBe(before.password)
    expect((await cli(dataDir, 'broker', 'export', '--out', out)).code).toBe(0)
    await broker.reload()

    expect((await publish(broker, before, 'devices/pump-0002/x', '2')).code).not.toBe(0)
    expect((await publish(broker, after, 'devices/pump-0002/x', '3')).code).toBe(0)
  })

  it('leaves out a device whose registration is revoked', async () => {
    const { store, dataDir, out, broker } = await siteWithBroker()
    const one = await credentialsOf(store, 'pump-0001')
    expect((await publish(broker, one, 'devices/pump-0001/x', '1')).code).toBe(0)

    expect((await cli(dataDir, 'registration', 'revoke', 'pump-0001')).code).toBe(0)
    const run = await cli(dataDir, 'broker', 'export', '--out', out)
    expect(run.code).toBe(0)
    expect(run.out).toContain('left out: pump-0001 (registration revoked)')
    await broker.reload()

    const refused = await publish(broker, one, 'devices/pump-0001/x', '2')
    expect(refused.code).not.toBe(0)
    expect(refused.err).toContain('not authorised')
    expect(
      (await publish(broker, await credentialsOf(store, 'pump-0002'), 'devices/pump-0002/x', '2'))
        .code,
    ).toBe(0)
  })

  it('refuses a format it does not write', async () => {
    const { dataDir } = await freshStore()
    const run = await cli(dataDir, 'broker', 'export', '--format', 'emqx', '--out', await tempDir())
    expect(run.code).toBe(2)
    expect(run.err).toContain('--format')
  })
})
