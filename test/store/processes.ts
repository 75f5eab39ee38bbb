import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import JSZip from 'jszip'
import { REPO_ROOT } from '../helpers/fixtures'

/** One command's result as the batch runner reports it. */
export interface BatchResult {
  argv: string[]
  code: number
  out: string
  err: string
}

export interface Batch {
  /** Resolves when the process ended, with the commands it finished. */
  done: Promise<{ results: BatchResult[]; signal: NodeJS.Signals | null }>
  /** Calls back as each command finishes. */
  onResult(listener: (result: BatchResult) => void): void
  kill(signal: NodeJS.Signals): void
}

/** Runs `fieldflash` commands in a separate Node process (see cli-batch.ts). */
export function runBatch(commands: string[][], env: Record<string, string> = {}): Batch {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'test', 'store', 'cli-batch.ts'), JSON.stringify(commands)],
    { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const results: BatchResult[] = []
  const listeners: ((result: BatchResult) => void)[] = []
  let buffer = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk
    let newline: number
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const result = JSON.parse(buffer.slice(0, newline)) as BatchResult
      buffer = buffer.slice(newline + 1)
      results.push(result)
      for (const listener of listeners) listener(result)
    }
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const done = new Promise<{ results: BatchResult[]; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      child.on('error', reject)
      child.on('close', (code, signal) => {
        if (code !== 0 && signal === null) {
          reject(new Error(`the batch process exited with ${code}:\n${stderr}`))
        } else resolve({ results, signal })
      })
    },
  )
  return {
    done,
    onResult: (listener) => listeners.push(listener),
    kill: (signal) => child.kill(signal),
  }
}

/** The provisioning token inside a template ZIP, and its fingerprint. */
export async function tokenInZip(path: string): Promise<{ token: string; fingerprint: string }> {
  const zip = await JSZip.loadAsync(await readFile(path))
  const header = Object.values(zip.files).find((f) => f.name.endsWith('include/device_config.h'))
  if (!header) throw new Error(`${path} has no device_config.h`)
  const match = /^#define PROVISIONING_TOKEN\s+"([^"]+)"/m.exec(await header.async('string'))
  if (!match) throw new Error(`${path} has no PROVISIONING_TOKEN`)
  const token = match[1]!
  return { token, fingerprint: createHash('sha256').update(token).digest('hex').slice(0, 8) }
}

/** Every file under `dir`, recursively, as paths. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await filesUnder(path)))
    else out.push(path)
  }
  return out
}
