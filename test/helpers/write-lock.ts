import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { REPO_ROOT } from './fixtures'

/**
 * Holds the registry's write lock from another process, as a CLI command in the middle of a long
 * write would. `locked()` says when it holds it; `release()` lets go and waits for the exit
 * (again: it just waits).
 */
export function holdWriteLock(dbPath: string): {
  locked: () => boolean
  release: () => Promise<void>
} {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'devkit', 'hold-write-lock.ts'), dbPath],
    { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
  )
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let released = false
  return {
    locked: () => out.includes('locked'),
    release: async () => {
      if (!released) child.stdin.write('release\n')
      released = true
      await exited
    },
  }
}
