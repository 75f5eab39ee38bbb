import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

/**
 * Builds the firmware's plain-C bootstrap code for the host with gcc, so tests can run it
 * without a board. Missing tools make the build throw with the install command, never skip:
 * a firmware test that silently does not run is worse than one that fails.
 */

const run = promisify(execFile)

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** The shared firmware of every board template. */
export const FIRMWARE_DIR = join(REPO_ROOT, 'resources', 'firmware')
/** lib/ff_bootstrap: the protocol code the boards run. */
export const BOOTSTRAP_LIB_DIR = join(FIRMWARE_DIR, 'lib', 'ff_bootstrap')
/** The one vector file read by the TypeScript and the C tests. */
export const VECTORS_PATH = join(REPO_ROOT, 'docs', 'protocol-vectors.tsv')
/** The host board's own sources (its main loop and the NVS reader standing in for Preferences). */
export const HOST_BOARD_SOURCES = ['host_board.c', 'host_nvs.c'].map((f) =>
  fileURLToPath(new URL(`./${f}`, import.meta.url)),
)

/** What to run when gcc or mbedtls is missing. */
export const HOST_TOOLCHAIN_HINT = 'apt-get install gcc libmbedtls-dev'
/** What to run when BearSSL (the ESP8266 crypto backend) is missing. */
export const BEARSSL_HINT = 'apt-get install libbearssl-dev'

/** Crypto library behind lib/ff_bootstrap/ff_crypto.h: mbedtls as on ESP32, BearSSL as on ESP8266. */
export type CryptoBackend = 'mbedtls' | 'bearssl'

interface BackendFlags {
  defines: string[]
  libs: string[]
  probe: string
  hint: string
}

const BACKENDS: Record<CryptoBackend, BackendFlags> = {
  mbedtls: {
    defines: [],
    libs: ['-lmbedcrypto'],
    probe:
      '#include <mbedtls/md.h>\nint main(void) { return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256) == 0; }\n',
    hint: HOST_TOOLCHAIN_HINT,
  },
  bearssl: {
    defines: ['-DFF_CRYPTO_BEARSSL'],
    libs: ['-lbearssl'],
    probe:
      '#include <bearssl/bearssl.h>\nint main(void) { br_sha256_context c; br_sha256_init(&c); return 0; }\n',
    hint: BEARSSL_HINT,
  },
}

/** The same warnings-as-errors build the firmware must survive. */
const CFLAGS = ['-std=c99', '-Wall', '-Wextra', '-Werror']
const LIB_SOURCES = [
  'ff_bootstrap.c',
  'ff_config.c',
  'ff_register.c',
  'ff_crypto_mbedtls.c',
  'ff_crypto_bearssl.c',
].map((f) => join(BOOTSTRAP_LIB_DIR, f))

const toolchainChecks = new Map<CryptoBackend, Promise<void>>()

function stderrOf(error: unknown): string {
  const e = error as { stderr?: unknown; message?: unknown }
  if (typeof e.stderr === 'string' && e.stderr.trim() !== '') return e.stderr.trim()
  return String(e.message ?? error)
}

async function probeToolchain(backend: CryptoBackend): Promise<void> {
  const flags = BACKENDS[backend]
  try {
    await run('gcc', ['--version'])
  } catch (error) {
    const code = (error as { code?: unknown }).code
    throw new Error(
      `gcc is not available (${code === 'ENOENT' ? 'not installed' : stderrOf(error)}); ` +
        `install the host toolchain: ${HOST_TOOLCHAIN_HINT}`,
    )
  }
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-probe-'))
  try {
    const source = join(dir, 'probe.c')
    await writeFile(source, flags.probe)
    await run('gcc', [...CFLAGS, source, '-o', join(dir, 'probe'), ...flags.libs])
  } catch (error) {
    const firstLine = stderrOf(error).split('\n')[0]
    throw new Error(
      `the ${backend} headers or library are missing (${firstLine}); install them: ${flags.hint}`,
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Resolves when gcc and the backend's headers and library work; throws with the install command. */
export function ensureHostToolchain(backend: CryptoBackend = 'mbedtls'): Promise<void> {
  let check = toolchainChecks.get(backend)
  if (!check) {
    check = probeToolchain(backend)
    toolchainChecks.set(backend, check)
  }
  return check
}

/** What to compile: program sources plus lib/ff_bootstrap, into one executable. */
export interface HostBuild {
  /** File name of the executable. */
  name: string
  /** Program sources besides lib/ff_bootstrap. */
  sources: string[]
  /** Extra include directories (lib/ff_bootstrap is always on the path). */
  includeDirs?: string[]
  /** Extra -D flags. */
  defines?: string[]
  backend?: CryptoBackend
}

/**
 * Compiles with `gcc -std=c99 -Wall -Wextra -Werror` into a fresh temp dir and returns the
 * executable's path. Remove it with {@link removeBuild}.
 */
export async function compileForHost(build: HostBuild): Promise<string> {
  const backend = build.backend ?? 'mbedtls'
  const flags = BACKENDS[backend]
  await ensureHostToolchain(backend)
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-fw-'))
  const binary = join(dir, build.name)
  const includes = [...(build.includeDirs ?? []), BOOTSTRAP_LIB_DIR].map((d) => `-I${d}`)
  const args = [
    ...CFLAGS,
    ...flags.defines,
    ...(build.defines ?? []).map((d) => `-D${d}`),
    ...includes,
    ...build.sources,
    ...LIB_SOURCES,
    '-o',
    binary,
    ...flags.libs,
  ]
  try {
    await run('gcc', args, { timeout: 120_000 })
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw new Error(`gcc could not build ${build.name} (${backend}):\n${stderrOf(error)}`)
  }
  return binary
}

/**
 * Builds devkit/firmware/host_board.c against the `device_config.h` found in `configDir`, as the
 * firmware would be built from a downloaded template; with `configDir` null, as the base firmware
 * (`pio run -e generic`: FF_GENERIC_BUILD, no header, values only from the ffcfg partition).
 */
export function buildHostBoard(
  configDir: string | null,
  backend: CryptoBackend = 'mbedtls',
): Promise<string> {
  return compileForHost({
    name: `host_board_${configDir === null ? 'generic_' : ''}${backend}`,
    sources: HOST_BOARD_SOURCES,
    includeDirs: configDir === null ? [] : [configDir],
    defines: configDir === null ? ['FF_GENERIC_BUILD'] : [],
    backend,
  })
}

/** Deletes the temp dir that {@link compileForHost} made for `binary`. */
export async function removeBuild(binary: string): Promise<void> {
  const dir = dirname(binary)
  // Guard: only ever delete a directory this module created.
  if (!basename(dir).startsWith('fieldflash-fw-')) {
    throw new Error(`refusing to remove ${dir}: not a build directory`)
  }
  await rm(dir, { recursive: true, force: true })
}
