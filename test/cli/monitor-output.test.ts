import { open } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../../main/cli/cli'
import { tempDir } from '../helpers/fixtures'
import { startPtyPair } from '../../devkit/pty'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('fieldflash monitor --json into a slow reader', () => {
  it('drops lines while the reader is behind instead of growing, and says how many', async () => {
    const pair = await startPtyPair(await tempDir())
    cleanups.push(pair.stop)
    const board = await open(pair.b, 'w')
    cleanups.push(() => board.close())

    let out = ''
    let blocked = true
    let askedWhileBlocked = 0
    const io = {
      out: (text: string) => {
        out += text
      },
      err: () => undefined,
      // A pipe nobody reads: 2 MiB wait unread until the reader "catches up".
      pending: () => {
        if (!blocked) return 0
        askedWhileBlocked++
        return 2 * 1024 * 1024
      },
    }
    const before = new Set(process.listeners('SIGTERM'))
    const run = runCli(['monitor', '--port', pair.a, '--json'], io, {})
    let n = 0
    // The board keeps printing; the reader catches up after the monitor dropped a few batches.
    while (!out.includes('"type":"dropped"') || !out.includes('"type":"line"')) {
      await board.write(`line ${n++}\r\n`)
      if (askedWhileBlocked >= 5) blocked = false
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    // Stop it as `kill` would: through the monitor's own SIGTERM handler.
    const stop = process.listeners('SIGTERM').find((listener) => !before.has(listener))!
    stop('SIGTERM')
    expect(await run).toBe(0)
    const records = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    const dropped = records.find((r) => r.type === 'dropped')
    expect(dropped.count).toBeGreaterThanOrEqual(5)
    // What was kept is in order and nothing was printed twice.
    const seqs = records.filter((r) => r.type === 'line').map((r) => r.seq)
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y))
    expect(new Set(seqs).size).toBe(seqs.length)
  }, 30_000)
})
