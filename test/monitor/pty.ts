import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { access, chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'

/**
 * Real pseudo-terminals from socat for serial tests and the monitor benchmark. A missing socat
 * fails with the install command: a serial test that silently does not run is worse than none.
 */

const run = promisify(execFile)

export const SOCAT_HINT = 'apt-get install socat'

let socatCheck: Promise<void> | null = null

/** Resolves when socat is installed; throws with the install command otherwise. */
export function requireSocat(): Promise<void> {
  socatCheck ??= run('socat', ['-V']).then(
    () => undefined,
    (error: NodeJS.ErrnoException) => {
      throw new Error(
        `socat is needed for the serial tests (${error.code === 'ENOENT' ? 'not installed' : error.message}); install it: ${SOCAT_HINT}`,
      )
    },
  )
  return socatCheck
}

/** A running socat: stop() ends it (and whatever it started) and waits for it to exit. */
export interface SocatProcess {
  child: ChildProcess
  stop(): Promise<void>
}

async function waitForPaths(paths: string[], child: ChildProcess, stderr: () => string) {
  const deadline = Date.now() + 5000
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`socat exited early (${child.exitCode}): ${stderr()}`)
    }
    const present = await Promise.all(
      paths.map((p) =>
        access(p).then(
          () => true,
          () => false,
        ),
      ),
    )
    if (present.every(Boolean)) return
    if (Date.now() > deadline) throw new Error(`socat did not create ${paths.join(', ')}`)
    await sleep(20)
  }
}

function startSocat(args: string[], paths: string[]): Promise<SocatProcess> {
  // Its own process group, so stop() also ends a program socat started.
  const child = spawn('socat', args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGTERM')
      } catch {
        // already gone
      }
    }
    await exited
  }
  return waitForPaths(paths, child, () => stderr).then(
    () => ({ child, stop }),
    async (error: unknown) => {
      await stop()
      throw error
    },
  )
}

/** Two linked raw ptys: bytes written to one come out of the other. */
export async function startPtyPair(
  dir: string,
  names: [string, string] = ['ptyA', 'ptyB'],
): Promise<SocatProcess & { a: string; b: string }> {
  await requireSocat()
  const a = join(dir, names[0])
  const b = join(dir, names[1])
  const socat = await startSocat([`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], [a, b])
  return { ...socat, a, b }
}

/**
 * Runs `command args…` as a "board" behind a pty at `<dir>/<name>`: what it prints is what a
 * serial monitor on that path reads. The command line goes through a small script so its
 * arguments need no socat quoting (MACs contain colons).
 */
export async function startPtyBoard(
  dir: string,
  command: string,
  args: string[],
  name = 'board',
): Promise<SocatProcess & { path: string }> {
  await requireSocat()
  const path = join(dir, name)
  const script = join(dir, `${name}.sh`)
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`
  await writeFile(script, `#!/bin/sh\nexec ${[command, ...args].map(quote).join(' ')}\n`)
  await chmod(script, 0o755)
  const socat = await startSocat([`pty,raw,echo=0,link=${path}`, `EXEC:${script}`], [path])
  return { ...socat, path }
}
