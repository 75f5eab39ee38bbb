import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT, tempDir } from '../helpers/fixtures'

const exec = promisify(execFile)

/** Runs scripts/electron-binary.mjs as npm would, with Electron's binary looked for in `distDir`. */
async function electronBinary(args: string[], distDir: string) {
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      ['scripts/electron-binary.mjs', ...args],
      { cwd: REPO_ROOT, env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: distDir } },
    )
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

describe('Electron binary check (npm run dev / start)', () => {
  it('says in one sentence why the window cannot open, and how to get Electron', async () => {
    const run = await electronBinary(['check'], await tempDir())
    expect(run.code).toBe(1)
    const lines = run.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/window cannot open because Electron's binary is not installed/)
    expect(lines[0]).toContain('npm run electron:fetch')
    expect(lines[0]).toContain('the fieldflash CLI and npm test work without it')
  })

  it('is skipped quietly during an install that was told not to download Electron', async () => {
    const run = await exec(process.execPath, ['scripts/electron-binary.mjs', 'fetch'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
    })
    expect(run.stderr).toBe('')
  })
})
