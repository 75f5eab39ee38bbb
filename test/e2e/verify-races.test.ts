import { spawn } from 'node:child_process'
import { open } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { REPO_ROOT, SAMPLE_SITE_FLAGS, tempDir } from '../helpers/fixtures'
import { cli } from '../helpers/run-cli'
import { startPtyPair } from '../../devkit/pty'
import { MAC_A, MAC_B } from '../verification/helpers'

/** Two `fieldflash verify --approve` processes, and a revoke, racing on one token. */

const stops: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
})

const SITE = SAMPLE_SITE_FLAGS

async function deviceWithTemplate(): Promise<{
  dataDir: string
  fingerprint: string
  expectedCode: string
}> {
  const dataDir = await tempDir('fieldflash-data-')
  expect((await cli(dataDir, 'site', 'set', ...SITE)).code).toBe(0)
  expect(
    (await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')).code,
  ).toBe(0)
  const template = await cli(dataDir, 'template', 'pump-0001', '--out', await tempDir(), '--json')
  const { fingerprint, expectedCode } = JSON.parse(template.out)
  return { dataDir, fingerprint, expectedCode }
}

/** A board end of a pty pair: prints its banner again and again until stopped, like firmware. */
async function board(
  path: string,
  banner: string,
): Promise<{ start(): void; stop(): Promise<void> }> {
  const handle = await open(path, 'r+')
  let timer: NodeJS.Timeout | null = null
  return {
    start() {
      const write = (): void => void handle.write(banner + '\r\n').catch(() => undefined)
      write()
      timer = setInterval(write, 100)
    },
    async stop() {
      if (timer) clearInterval(timer)
      await handle.close()
    },
  }
}

/**
 * `fieldflash verify` as a separate process. `onWaiting` runs once it says it waits for the banner:
 * by then it has opened the registry. Resolves with its exit code and its report.
 */
function verify(
  dataDir: string,
  port: string,
  onWaiting: () => void,
): Promise<{ code: number; out: string }> {
  const child = spawn(
    process.execPath,
    [
      'bin/fieldflash.js',
      'verify',
      '--port',
      port,
      '--device',
      'pump-0001',
      '--approve',
      '--approver',
      'A. Tech',
      // These boards only print a banner: approving is what is raced here, not registering.
      '--no-register',
      '--timeout',
      '60',
      '--baud',
      '115200',
      '--data-dir',
      dataDir,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t))
  child.stderr.setEncoding('utf8').on('data', (t: string) => {
    const first = !err.includes('Waiting up to')
    err += t
    if (first && err.includes('Waiting up to')) onWaiting()
  })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === null) reject(new Error(`verify was killed: ${err}`))
      else resolve({ code, out: out + err })
    })
  })
}

const banner = (fingerprint: string, code: string, mac: string): string =>
  `FFBOOT v=1 uid=pump-0001 fp=${fingerprint} code=${code} mac=${mac} fw=0.1.0`

describe('verifying one token from several processes', () => {
  it('approves the token at most once when two boards carrying it are verified at the same time', async () => {
    const { dataDir, fingerprint, expectedCode } = await deviceWithTemplate()
    const dir = await tempDir('fieldflash-pty-')
    const one = await startPtyPair(dir, ['oneHost', 'oneBoard'])
    const two = await startPtyPair(dir, ['twoHost', 'twoBoard'])
    stops.push(one.stop, two.stop)
    const boardA = await board(one.b, banner(fingerprint, expectedCode, MAC_A))
    const boardB = await board(two.b, banner(fingerprint, expectedCode, MAC_B))
    stops.unshift(boardA.stop, boardB.stop)

    const results = await Promise.all([
      verify(dataDir, one.a, () => boardA.start()),
      verify(dataDir, two.a, () => boardB.start()),
    ])
    expect(results.map((r) => r.code).sort()).toEqual([0, 3])
    const loser = results.find((r) => r.code === 3)!
    expect(loser.out).toMatch(/NOT VERIFIED: pump-0001 — (Another board|Token already used)/)
    expect(results.find((r) => r.code === 0)!.out).toMatch(/Approved by A\. Tech/)

    const device = JSON.parse((await cli(dataDir, 'device', 'show', 'pump-0001', '--json')).out)
    expect(device.status).toBe('approved')
    expect(
      device.operations.filter((op: { state: string }) => op.state === 'approved'),
    ).toHaveLength(1)
    const audit = JSON.parse((await cli(dataDir, 'audit', '--json')).out).entries
    expect(audit.filter((e: { type: string }) => e.type === 'operation.approved')).toHaveLength(1)
  }, 60_000)

  it('refuses a banner whose token another process revoked while verify was waiting', async () => {
    const { dataDir, fingerprint, expectedCode } = await deviceWithTemplate()
    const pty = await startPtyPair(await tempDir('fieldflash-pty-'))
    stops.push(pty.stop)
    const boardA = await board(pty.b, banner(fingerprint, expectedCode, MAC_A))
    stops.unshift(boardA.stop)

    const result = await verify(dataDir, pty.a, () => {
      // The verify process is up and holds the registry open; another process revokes first.
      void cli(dataDir, 'token', 'revoke', 'pump-0001').then((revoke) => {
        expect(revoke.code).toBe(0)
        boardA.start()
      })
    })
    expect(result.code).toBe(3)
    expect(result.out).toMatch(/NOT VERIFIED: pump-0001 — Revoked token/)
    const device = JSON.parse((await cli(dataDir, 'device', 'show', 'pump-0001', '--json')).out)
    expect(device.currentToken.state).toBe('revoked')
    expect(device.status).toBe('revoked')
  }, 60_000)
})
