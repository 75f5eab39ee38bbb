import { execFile, spawn } from 'node:child_process'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT, tempDir } from '../helpers/fixtures'
import { cli } from '../helpers/run-cli'

const exec = promisify(execFile)

const SITE_FLAGS = [
  '--platform-key',
  'pk_test_1',
  '--api-host',
  'api.example.com',
  '--mqtt-host',
  'mqtt.example.com',
  '--mqtt-port',
  '8883',
  '--ota-base-url',
  'https://ota.example.com/fw',
]

describe('fieldflash CLI', () => {
  it('walks a newcomer from site profile to a template ZIP, with JSON output', async () => {
    const dataDir = await tempDir()
    const outDir = await tempDir()
    expect((await cli(dataDir, 'site', 'set', ...SITE_FLAGS)).code).toBe(0)
    const added = await cli(dataDir, 'device', 'add', '--board', 'esp32-c3-devkitm-1', '--json')
    expect(added.code).toBe(0)
    const uid = JSON.parse(added.out).uid as string
    const template = await cli(dataDir, 'template', uid, '--out', outDir, '--json')
    expect(template.code).toBe(0)
    const report = JSON.parse(template.out)
    expect(report).toMatchObject({
      zipPath: join(outDir, `${uid}.zip`),
      uid,
      boardId: 'esp32-c3-devkitm-1',
    })
    expect(report.fingerprint).toMatch(/^[0-9a-f]{8}$/)
    expect(report.expectedCode).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/)
    const shown = JSON.parse((await cli(dataDir, 'device', 'show', uid, '--json')).out)
    expect(shown.currentToken).toMatchObject({ fingerprint: report.fingerprint, state: 'issued' })
    const listed = await cli(dataDir, 'device', 'list')
    expect(listed.out).toContain(`${uid}`)
    expect(listed.out).toContain(`token ${report.fingerprint} issued`)
  })

  it('prints a regenerated token once with the warning, and keeps only its fingerprint', async () => {
    const dataDir = await tempDir()
    await cli(dataDir, 'site', 'set', ...SITE_FLAGS)
    await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')
    const regenerated = await cli(dataDir, 'token', 'regenerate', 'pump-0001')
    expect(regenerated.code).toBe(0)
    expect(regenerated.out).toMatch(
      /WARNING: Every local device_config.h of this device is now outdated/,
    )
    const token = /#define PROVISIONING_TOKEN "(ffpt_[0-9a-z]+)"/.exec(regenerated.out)![1]!
    for (const file of await readdir(dataDir)) {
      // The write-ahead log goes when the last connection closes: it may be gone already.
      const text = await readFile(join(dataDir, file), 'latin1').catch(() => '')
      expect(text).not.toContain(token)
    }
    const revoked = await cli(dataDir, 'token', 'revoke', 'pump-0001', '--json')
    expect(JSON.parse(revoked.out)).toMatchObject({ uid: 'pump-0001', state: 'revoked' })
    const rotated = await cli(dataDir, 'mqtt', 'rotate', 'pump-0001')
    expect(rotated.code).toBe(0)
    expect(rotated.out).toMatch(
      /the board gets it with its next credentials.*Next: fieldflash template pump-0001 --out <dir>/,
    )
  })

  it.each([
    [
      ['site', 'set', ...SITE_FLAGS.slice(0, -2), '--ota-base-url', 'javascript:alert(1)'],
      /--ota-base-url: must be an absolute http/,
    ],
    [
      ['site', 'set', ...SITE_FLAGS.slice(0, 6), '--mqtt-port', '70000'],
      /--mqtt-port: must be a whole number from 1 to 65535/,
    ],
    [
      [
        'site',
        'set',
        '--platform-key',
        'pk',
        '--api-host',
        'https://x/',
        '--mqtt-host',
        'm',
        '--mqtt-port',
        '1',
        '--ota-base-url',
        'https://o/',
      ],
      /--api-host: must be a DNS name/,
    ],
    [
      ['device', 'add', '--board', 'esp32-devkitc', '--uid', 'a b;rm -rf /'],
      /uid: must be 4–90 characters/,
    ],
    [['device', 'add', '--board', 'no-such-board'], /board: must be one of the catalog's boards/],
    [['device', 'add'], /required option '--board <id>' not specified/],
    [['template', 'x'], /required option '--out <dir>' not specified/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('exits 2 with a message naming the field and rule for %j', async (argv, message) => {
    const dataDir = await tempDir()
    const result = await cli(dataDir, ...argv)
    expect(result.code).toBe(2)
    expect(result.err).toMatch(message)
  })

  it('exits 2 for an unknown or duplicate device, naming the field', async () => {
    const dataDir = await tempDir()
    const unknown = await cli(dataDir, 'token', 'regenerate', 'nope-0001')
    expect(unknown).toMatchObject({ code: 2 })
    expect(unknown.err).toMatch(/<uid>: no device with UID nope-0001/)
    await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')
    const twice = await cli(
      dataDir,
      'device',
      'add',
      '--board',
      'esp32-devkitc',
      '--uid',
      'pump-0001',
    )
    expect(twice.code).toBe(2)
    expect(twice.err).toMatch(/uid: a device with UID pump-0001 already exists/)
  })

  it.each([
    ['template', '../../etc', '--out', '/tmp'],
    ['token', 'regenerate', 'a\u001b[2Jb'],
    ['token', 'revoke', 'x'],
    ['mqtt', 'rotate', 'has space'],
    ['device', 'show', '../x'],
    ['config-partition', '../../etc', '--out', '/tmp/x.bin'],
    ['operation', 'approve', 'a/b/c', 'op-1'],
    ['operation', 'reject', '\u0007bell', 'op-1'],
  ])('checks every positional UID with the one rule, showing it escaped: %j', async (...argv) => {
    const result = await cli(await tempDir(), ...argv)
    expect(result.code).toBe(2)
    const given =
      argv[
        argv[0] === 'device' || argv[0] === 'token' || argv[0] === 'mqtt' || argv[0] === 'operation'
          ? 2
          : 1
      ]!
    expect(result.err).toContain(
      `<uid>: must be 4–90 characters of 0-9 a-z A-Z - _ ., not ${JSON.stringify(given)}`,
    )
    // Shown as text: a control character never reaches the terminal as itself.
    for (const raw of ['\u001b', '\u0007']) expect(result.err).not.toContain(raw)
  })

  it('never shows a token pasted where a UID goes', async () => {
    const token = 'ffpt_' + 'a'.repeat(52)
    const result = await cli(await tempDir(), 'device', 'show', token)
    expect(result.code).toBe(2)
    expect(result.err).not.toContain(token)
    expect(result.err).toContain('ffpt_[redacted]')
  })

  it('exits 1 for a missing site profile', async () => {
    const dataDir = await tempDir()
    const noSite = await cli(dataDir, 'site', 'show', '--json')
    expect(noSite.code).toBe(1)
    expect(JSON.parse(noSite.out)).toMatchObject({ ok: false, code: 'site_not_configured' })
  })

  it('runs as `npx fieldflash` from a checkout, honouring FIELDFLASH_DATA_DIR', async () => {
    const dataDir = await tempDir()
    const env = { ...process.env, FIELDFLASH_DATA_DIR: dataDir }
    await exec('node', ['bin/fieldflash.js', 'site', 'set', ...SITE_FLAGS], { cwd: REPO_ROOT, env })
    const { stdout } = await exec('node', ['bin/fieldflash.js', 'boards', '--json'], {
      cwd: REPO_ROOT,
      env,
    })
    const boards = JSON.parse(stdout) as { id: string }[]
    expect(boards.map((b) => b.id)).toContain('esp8266-nodemcuv2')
    const failed = await exec(
      'node',
      ['bin/fieldflash.js', 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'x'],
      {
        cwd: REPO_ROOT,
        env,
      },
    ).catch((error: { code: number; stderr: string }) => error)
    expect(failed).toMatchObject({ code: 2 })
    expect((failed as { stderr: string }).stderr).toMatch(/uid: must be 4–90 characters/)
    expect((await stat(join(dataDir, 'fieldflash.db'))).mode & 0o777).toBe(0o600)
  })

  it('ends quietly when its reader goes away (`fieldflash boards | head -1`)', async () => {
    const child = spawn('node', ['bin/fieldflash.js', 'boards'], {
      cwd: REPO_ROOT,
      env: { ...process.env, FIELDFLASH_DATA_DIR: await tempDir() },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    // The reader leaves before the command has written anything.
    child.stdout.destroy()
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
    expect(stderr).toBe('')
    expect(code).toBe(0)
  })
})
