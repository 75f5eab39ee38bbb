import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { compileForHost, removeBuild } from './build'

const run = promisify(execFile)
const builds: string[] = []
afterAll(async () => {
  for (const binary of builds) await removeBuild(binary)
})

describe('the firmware’s choice of configuration (lib/ff_bootstrap/ff_config.c, built with gcc)', () => {
  it.each(['mbedtls', 'bearssl'] as const)(
    'takes ffcfg over the header, names every missing, mistyped or too long key, and says cfg= in the banner (%s)',
    async (backend) => {
      const binary = await compileForHost({
        name: `config_select_${backend}`,
        sources: [fileURLToPath(new URL('./config_select.c', import.meta.url))],
        backend,
      })
      builds.push(binary)
      const result = await run(binary).catch((error: { stdout?: string; code?: number }) => error)
      const stdout = (result as { stdout?: string }).stdout ?? ''
      expect(stdout).toMatch(/config_select: \d+ passed, 0 failed/)
      expect(stdout).not.toContain('FAIL')
    },
    120_000,
  )
})
