import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import JSZip from 'jszip'
import { startPtyBoard, type SocatProcess } from '../../devkit/pty'
import { ensureHostToolchain, HOST_BOARD_SOURCES } from '../firmware/build'
import { tempDir } from '../helpers/fixtures'

const run = promisify(execFile)

/** A downloaded template, unpacked, and its bootstrap module compiled for the host. */
export interface ZipBoard {
  /** The executable: host_board built from the ZIP's own lib/ff_bootstrap and device_config.h. */
  binary: string
  projectDir: string
  remove(): Promise<void>
}

/**
 * Unpacks a template ZIP and builds the ZIP's own lib/ff_bootstrap with the ZIP's own
 * include/device_config.h (not the repository's copies), as PlatformIO would for the board:
 * gcc -std=c99 -Wall -Wextra -Werror against Debian's mbedtls. A missing toolchain throws with
 * the install command.
 */
export async function buildBoardFromZip(zipPath: string): Promise<ZipBoard> {
  await ensureHostToolchain('mbedtls')
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-zipboard-'))
  try {
    const zip = await JSZip.loadAsync(await readFile(zipPath))
    for (const entry of Object.values(zip.files)) {
      if (entry.dir) continue
      const target = join(dir, entry.name)
      if (!target.startsWith(dir + '/')) throw new Error(`unsafe path in ZIP: ${entry.name}`)
      await mkdir(dirname(target), { recursive: true })
      await writeFile(target, await entry.async('nodebuffer'))
    }
    const [top] = await readdir(dir)
    const projectDir = join(dir, top!)
    const lib = join(projectDir, 'lib', 'ff_bootstrap')
    const sources = (await readdir(lib)).filter((f) => f.endsWith('.c')).map((f) => join(lib, f))
    const binary = join(dir, 'host_board')
    try {
      await run(
        'gcc',
        [
          '-std=c99',
          '-Wall',
          '-Wextra',
          '-Werror',
          `-I${join(projectDir, 'include')}`,
          `-I${lib}`,
          `-I${dirname(HOST_BOARD_SOURCES[0]!)}`,
          ...HOST_BOARD_SOURCES,
          ...sources,
          '-o',
          binary,
          '-lmbedcrypto',
        ],
        { timeout: 60_000 },
      )
    } catch (error) {
      throw new Error(
        `gcc could not build the ZIP's firmware:\n${(error as { stderr?: string }).stderr ?? error}`,
      )
    }
    return { binary, projectDir, remove: () => rm(dir, { recursive: true, force: true }) }
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}

/**
 * Runs a built firmware as a board with `mac` behind a fresh pty, printing its banner every
 * 200 ms; returns the port's path and how to stop it.
 */
export async function runOnPty(
  board: ZipBoard,
  mac: string,
): Promise<{ path: string; stop: SocatProcess['stop'] }> {
  const pty = await startPtyBoard(await tempDir('fieldflash-pty-'), board.binary, [
    '--mac',
    mac,
    '--interval-ms',
    '200',
  ])
  return { path: pty.path, stop: pty.stop }
}
