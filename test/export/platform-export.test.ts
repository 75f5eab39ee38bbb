import { createHash, createPublicKey, verify } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { seedDevices } from '../../devkit/seed-registry'
import type { FieldFlashStore } from '../../main/store/store'
import { cli } from '../helpers/run-cli'
import { freshStore, loadCatalog, tempDir } from '../helpers/fixtures'

// The signed export a platform takes in: what it says (every device, token hash, approval and
// registration hash, never a secret), the signature any Ed25519 library checks against the key
// `site show` prints, the cursor that makes the next export incremental, and the refusals.

type ExportRecord = Record<string, unknown> & { type: string }

async function readExport(path: string): Promise<ExportRecord[]> {
  const text = await readFile(path, 'utf8')
  expect(text.endsWith('\n')).toBe(true)
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as ExportRecord)
}

/** A site with one device at each stage, and the secrets it minted. */
async function siteWithDevices() {
  const { store, dataDir } = await freshStore()
  const catalog = await loadCatalog()
  const seeded = [
    ...(await seedDevices(store, catalog, { uids: ['pump-0001'], stage: 'added' })),
    ...(await seedDevices(store, catalog, { uids: ['pump-0002'], stage: 'minted' })),
    ...(await seedDevices(store, catalog, {
      uids: ['pump-0003'],
      stage: 'approved',
      approver: 'A. Tech',
    })),
    ...(await seedDevices(store, catalog, {
      uids: ['pump-0004', 'pump-0005'],
      stage: 'registered',
    })),
  ]
  return { store, dataDir, seeded }
}

async function secretsOf(
  store: FieldFlashStore,
  seeded: Awaited<ReturnType<typeof siteWithDevices>>['seeded'],
): Promise<string[]> {
  const secrets: string[] = []
  for (const s of seeded) {
    const device = (await store.device(s.uid))!
    secrets.push(device.mqtt.password)
    if (s.token) secrets.push(s.token)
    if (s.registrationToken) secrets.push(s.registrationToken)
    if (s.registrationKey) secrets.push(s.registrationKey)
    for (const t of device.tokens) if (t.registrationKey) secrets.push(t.registrationKey)
    for (const r of device.registrations) secrets.push(r.holderKey)
  }
  return secrets
}

describe('fieldflash export', () => {
  it('writes every device, token hash, approval and registration hash, and no secret', async () => {
    const { store, dataDir, seeded } = await siteWithDevices()
    const out = join(await tempDir(), 'site.jsonl')

    const run = await cli(dataDir, 'export', '--out', out)
    expect(run.err).toBe('')
    expect(run.code).toBe(0)
    expect(run.out).toContain('5 device(s)')
    expect(run.out).toMatch(/--since \d+/)

    const records = await readExport(out)
    const [header, ...rest] = records
    expect(header).toMatchObject({ type: 'header', format: 'fieldflash-export-v1', full: true })
    expect(records.at(-1)).toEqual({ type: 'end', devices: 5, records: records.length })
    const devices = rest.filter((r) => r.type === 'device')
    expect(devices.map((d) => [d.uid, d.registration])).toEqual([
      ['pump-0001', 'none'],
      ['pump-0002', 'none'],
      ['pump-0003', 'none'],
      ['pump-0004', 'registered'],
      ['pump-0005', 'registered'],
    ])
    expect(devices[0]).toMatchObject({
      mqttUsername: (await store.device('pump-0001'))!.mqtt.username,
    })

    // Each token by its SHA-256: the platform recognises the token a board presents later.
    const minted = seeded.find((s) => s.uid === 'pump-0002')!
    const token = rest.find((r) => r.type === 'token' && r.uid === 'pump-0002')!
    expect(token).toMatchObject({
      state: 'issued',
      sha256: createHash('sha256').update(minted.token!).digest('hex'),
    })
    expect(rest.find((r) => r.type === 'token' && r.uid === 'pump-0004')).toMatchObject({
      state: 'consumed',
    })
    expect(rest.filter((r) => r.type === 'approval').map((r) => [r.uid, r.approver])).toEqual([
      ['pump-0003', 'A. Tech'],
      ['pump-0004', 'Seed Tech'],
      ['pump-0005', 'Seed Tech'],
    ])
    const registered = seeded.find((s) => s.uid === 'pump-0004')!
    expect(rest.find((r) => r.type === 'registration' && r.uid === 'pump-0004')).toMatchObject({
      state: 'active',
      revoked: false,
      mac: registered.mac,
      sha256: createHash('sha256').update(registered.registrationToken!).digest('hex'),
    })

    const text = await readFile(out, 'utf8')
    for (const secret of await secretsOf(store, seeded)) expect(text).not.toContain(secret)
    const verified = await cli(dataDir, 'export', 'verify', out)
    expect(verified).toMatchObject({ code: 0, err: '' })
    expect(verified.out).toContain('signature good')
  })

  it('is signed with the key site show prints: Node and OpenSSL check it independently', async () => {
    const { dataDir } = await siteWithDevices()
    const dir = await tempDir()
    const out = join(dir, 'site.jsonl')
    expect((await cli(dataDir, 'export', '--out', out)).code).toBe(0)

    const shown = JSON.parse((await cli(dataDir, '--json', 'site', 'show')).out)
    expect(shown.exportPublicKey).toMatch(/^-----BEGIN PUBLIC KEY-----\n/)
    const text = (await cli(dataDir, 'site', 'show')).out
    expect(text).toContain(shown.exportPublicKey.trimEnd())
    expect(text).toContain(shown.exportPublicKeySha256)
    const header = (await readExport(out))[0]!
    expect(header.publicKeySha256).toBe(shown.exportPublicKeySha256)

    const bytes = await readFile(out)
    const signature = Buffer.from((await readFile(`${out}.sig`, 'ascii')).trim(), 'base64')
    expect(verify(null, bytes, createPublicKey(shown.exportPublicKey), signature)).toBe(true)
    await writeFile(join(dir, 'pub.pem'), shown.exportPublicKey)
    await writeFile(join(dir, 'sig.bin'), signature)
    const openssl = (file: string): string =>
      execFileSync(
        'openssl',
        [
          'pkeyutl',
          '-verify',
          '-pubin',
          '-inkey',
          join(dir, 'pub.pem'),
          '-rawin',
          '-in',
          file,
        ].concat(['-sigfile', join(dir, 'sig.bin')]),
        { encoding: 'utf8' },
      )
    expect(openssl(out)).toContain('Signature Verified Successfully')
    await writeFile(join(dir, 'changed.jsonl'), Buffer.concat([bytes, Buffer.from('\n')]))
    expect(() => openssl(join(dir, 'changed.jsonl'))).toThrow()
  })

  it('keeps the private key owner-only, and two processes making it at once agree on one', async () => {
    const { dataDir } = await freshStore()
    const [a, b] = await Promise.all([
      cli(dataDir, '--json', 'site', 'show'),
      cli(dataDir, '--json', 'site', 'show'),
    ])
    expect(JSON.parse(a.out).exportPublicKey).toBe(JSON.parse(b.out).exportPublicKey)
    expect((await stat(join(dataDir, 'site-key.pem'))).mode & 0o777).toBe(0o600)
  })

  it('continues from the cursor: --since exports only what changed, revocations included', async () => {
    const { dataDir } = await siteWithDevices()
    const dir = await tempDir()
    const first = JSON.parse(
      (await cli(dataDir, '--json', 'export', '--out', join(dir, '1.jsonl'))).out,
    )
    expect(first).toMatchObject({ devices: 5, since: null })

    const nothing = JSON.parse(
      (
        await cli(
          dataDir,
          '--json',
          'export',
          '--out',
          join(dir, '2.jsonl'),
          '--since',
          first.cursor,
        )
      ).out,
    )
    expect(nothing).toMatchObject({ devices: 0, cursor: first.cursor, since: first.cursor })
    expect((await readExport(join(dir, '2.jsonl'))).map((r) => r.type)).toEqual(['header', 'end'])

    expect((await cli(dataDir, 'registration', 'revoke', 'pump-0005')).code).toBe(0)
    expect((await cli(dataDir, 'token', 'regenerate', 'pump-0002')).code).toBe(0)
    const third = JSON.parse(
      (
        await cli(
          dataDir,
          '--json',
          'export',
          '--out',
          join(dir, '3.jsonl'),
          '--since',
          first.cursor,
        )
      ).out,
    )
    expect(third.devices).toBe(2)
    expect(Number(third.cursor)).toBeGreaterThan(Number(first.cursor))
    const records = await readExport(join(dir, '3.jsonl'))
    expect(records[0]).toMatchObject({ full: false, since: first.cursor, cursor: third.cursor })
    expect(records.filter((r) => r.type === 'device').map((r) => [r.uid, r.registration])).toEqual([
      ['pump-0002', 'none'],
      ['pump-0005', 'revoked'],
    ])
    expect(records.find((r) => r.type === 'registration')).toMatchObject({
      uid: 'pump-0005',
      state: 'revoked',
      revoked: true,
    })
    expect((await cli(dataDir, 'export', 'verify', join(dir, '3.jsonl'))).code).toBe(0)
  })

  it('continues from the last export with --since last, and refuses a cursor of another registry', async () => {
    const { dataDir } = await siteWithDevices()
    const dir = await tempDir()
    const none = await cli(dataDir, 'export', '--out', join(dir, '0.jsonl'), '--since', 'last')
    expect(none.code).toBe(2)
    expect(none.err).toContain('nothing was exported yet')
    const first = JSON.parse(
      (await cli(dataDir, '--json', 'export', '--out', join(dir, '1.jsonl'))).out,
    )
    expect((await cli(dataDir, 'mqtt', 'rotate', 'pump-0003')).code).toBe(0)
    const next = JSON.parse(
      (await cli(dataDir, '--json', 'export', '--out', join(dir, '2.jsonl'), '--since', 'last'))
        .out,
    )
    expect(next).toMatchObject({ since: first.cursor, devices: 1 })
    const ahead = String(Number(next.cursor) + 1000)
    const foreign = await cli(dataDir, 'export', '--out', join(dir, '3.jsonl'), '--since', ahead)
    expect(foreign.code).toBe(2)
    expect(foreign.err).toContain('another data directory')
  })

  it('refuses a cursor that is not one', async () => {
    const { dataDir } = await freshStore()
    const run = await cli(
      dataDir,
      'export',
      '--out',
      join(await tempDir(), 'x'),
      '--since',
      'yesterday',
    )
    expect(run.code).toBe(2)
    expect(run.err).toContain('--since')
  })
})

describe('fieldflash export verify', () => {
  async function signedExport() {
    const { dataDir } = await siteWithDevices()
    const out = join(await tempDir(), 'site.jsonl')
    expect((await cli(dataDir, 'export', '--out', out)).code).toBe(0)
    return { dataDir, out, bytes: await readFile(out) }
  }

  it('refuses a modified file (exit 2), naming the problem', async () => {
    const { dataDir, out, bytes } = await signedExport()
    await writeFile(out, bytes.toString('utf8').replace('"state":"issued"', '"state":"revoked"'))
    const run = await cli(dataDir, 'export', 'verify', out)
    expect(run.code).toBe(2)
    expect(run.err).toContain('modified or truncated')
  })

  it('refuses a truncated file (exit 2)', async () => {
    const { dataDir, out, bytes } = await signedExport()
    const text = bytes.toString('utf8')
    await writeFile(out, text.slice(0, text.lastIndexOf('{"type":"end"')))
    const run = await cli(dataDir, 'export', 'verify', out)
    expect(run.code).toBe(2)
    expect(run.err).toContain('modified or truncated')
  })

  it("refuses another site's export, and accepts it with that site's public key", async () => {
    const { dataDir: exporting, out } = await signedExport()
    const { dataDir: otherSite } = await freshStore()
    const run = await cli(otherSite, 'export', 'verify', out)
    expect(run.code).toBe(2)
    expect(run.err).toContain('signed by another key')

    const pinned = join(await tempDir(), 'exporting-site.pem')
    await writeFile(
      pinned,
      JSON.parse((await cli(exporting, '--json', 'site', 'show')).out).exportPublicKey,
    )
    const withKey = await cli(otherSite, 'export', 'verify', out, '--key', pinned)
    expect(withKey).toMatchObject({ code: 0, err: '' })
  })

  it('refuses a file without its signature, and a key that is not one', async () => {
    const { dataDir, out } = await signedExport()
    const dir = await tempDir()
    const copy = join(dir, 'copy.jsonl')
    await writeFile(copy, await readFile(out))
    const unsigned = await cli(dataDir, 'export', 'verify', copy)
    expect(unsigned.code).toBe(2)
    expect(unsigned.err).toContain('copy.jsonl.sig is missing')

    await writeFile(join(dir, 'key.pem'), 'not a key')
    const badKey = await cli(dataDir, 'export', 'verify', out, '--key', join(dir, 'key.pem'))
    expect(badKey.code).toBe(2)
    expect(badKey.err).toContain('--key')
  })
})
