import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT, SAMPLE_SITE_FLAGS, tempDir } from '../helpers/fixtures'
import { cli } from '../helpers/run-cli'
import { until } from '../helpers/wait'

describe('npm run devkit:board (the virtual board)', () => {
  it('runs the base firmware behind a pty: verify, approve and register it, then Ctrl+C stops it', async () => {
    const dataDir = await tempDir()
    const dir = await tempDir()
    await cli(dataDir, 'site', 'set', ...SAMPLE_SITE_FLAGS)
    await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')
    const config = join(dir, 'ffcfg.bin')
    expect((await cli(dataDir, 'config-partition', 'pump-0001', '--out', config)).code).toBe(0)
    const port = join(dir, 'ttyFF0')

    const board = spawn(
      join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      ['devkit/board.ts', '--port', port, '--config', config, '--interval-ms', '200'],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    board.stdout.setEncoding('utf8').on('data', (t: string) => (out += t))
    board.stderr.setEncoding('utf8').on('data', (t: string) => (out += t))
    const exited = new Promise<number | null>((resolve) => board.on('exit', resolve))
    try {
      await until(() => out.includes('A virtual board is on') || board.exitCode !== null)
      expect(out).toContain(`A virtual board is on ${port}`)

      const verified = await cli(
        dataDir,
        'verify',
        '--port',
        port,
        '--device',
        'pump-0001',
        '--approve',
        '--approver',
        'A. Tech',
        '--json',
      )
      expect(verified.code, verified.err).toBe(0)
      expect(JSON.parse(verified.out)).toMatchObject({ approved: true, registered: true })
    } finally {
      board.kill('SIGINT')
    }
    expect(await exited).toBe(0)
    expect(existsSync(port)).toBe(false)
  }, 120_000)

  it('says what it needs when an option is missing or wrong', async () => {
    const run = spawn(
      join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      ['devkit/board.ts', '--port', '/tmp/x'],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    )
    let err = ''
    run.stderr.setEncoding('utf8').on('data', (t: string) => (err += t))
    const code = await new Promise<number | null>((resolve) => run.on('exit', resolve))
    expect(code).toBe(2)
    expect(err).toContain('devkit:board: --config is required')
  }, 30_000)
})
