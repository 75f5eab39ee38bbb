import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { summary, timed } from './stats'

const run = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '..')

/** Wall time of whole `fieldflash` processes, as a factory script calls them. */
export async function benchCliStart(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'fieldflash-bench-'))
  try {
    const cli = (...argv: string[]) =>
      run(process.execPath, [join(ROOT, 'bin', 'fieldflash.js'), ...argv, '--data-dir', dataDir], {
        cwd: ROOT,
      })
    await cli('device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')
    for (const argv of [['boards'], ['device', 'list'], ['device', 'show', 'pump-0001']]) {
      const samples: number[] = []
      for (let i = 0; i < 10; i++) samples.push((await timed(() => cli(...argv)))[0])
      summary(`CLI start-up: fieldflash ${argv.join(' ')}`, samples)
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
}
