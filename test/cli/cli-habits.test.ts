import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Command } from 'commander'
import { afterEach, describe, expect, it } from 'vitest'
import packageJson from '../../package.json' with { type: 'json' }
import { startPtyEmulator, type PtyEmulator } from '../../devkit/pty'
import { espImage, FIELDFLASH_4MB, partitionTable, writeFiles } from '../../devkit/firmware-images'
import { createProgram, runCli } from '../../main/cli/cli'
import { createCliKit } from '../../main/cli/cli-kit'
import { REPO_ROOT, RESOURCES_DIR, SAMPLE_SITE_FLAGS, tempDir } from '../helpers/fixtures'
import { cli, cliRaw } from '../helpers/run-cli'
import { registryArgs, registryEnv } from '../helpers/engine'

const exec = promisify(execFile)

let board: PtyEmulator | null = null
afterEach(async () => {
  await board?.stop()
  board = null
})

describe('fieldflash, as a command line its users expect', () => {
  it('prints its version with --version and -V', async () => {
    for (const flag of ['--version', '-V']) {
      const run = await cliRaw(flag)
      expect(run.code).toBe(0)
      expect(run.out.trim()).toBe(packageJson.version)
    }
  })

  it('takes --data-dir and --json before or after the command', async () => {
    const dataDir = await tempDir()
    expect(
      (await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')).code,
    ).toBe(0)
    const database = await registryArgs(dataDir)
    const before = await cliRaw('--data-dir', dataDir, '--json', ...database, 'device', 'list')
    const after = await cliRaw('device', 'list', '--json', '--data-dir', dataDir, ...database)
    const between = await cliRaw('device', '--data-dir', dataDir, ...database, 'list', '--json')
    for (const run of [before, after, between]) {
      expect(run.code, run.err).toBe(0)
      expect(JSON.parse(run.out).map((d: { uid: string }) => d.uid)).toEqual(['pump-0001'])
    }
  })

  it('lists its environment variables and exit codes in the top-level help', async () => {
    const help = await cliRaw('--help')
    expect(help.code).toBe(0)
    for (const text of [
      '--data-dir <dir>',
      '--json',
      'FIELDFLASH_DATA_DIR',
      'FIELDFLASH_APPROVER',
      'Exit codes:',
      '0  success',
      '2  bad input',
      '3  verify',
      'fieldflash completion bash|zsh',
    ]) {
      expect(help.out).toContain(text)
    }
  })

  it('describes every option and argument of every command, and states each default once', async () => {
    const program = createProgram(
      createCliKit({ out: () => undefined, err: () => undefined }, {}, RESOURCES_DIR, []),
    )
    const commands: Command[] = []
    const walk = (cmd: Command): void => {
      commands.push(cmd)
      cmd.commands.forEach(walk)
    }
    walk(program)
    expect(commands.length).toBeGreaterThan(25)
    for (const cmd of commands) {
      const name = cmd.name()
      for (const option of cmd.options) {
        expect(option.description, `${name} ${option.flags}`).not.toBe('')
      }
      for (const argument of cmd.registeredArguments) {
        expect(argument.description, `${name} <${argument.name()}>`).not.toBe('')
      }
      const help = cmd.helpInformation()
      expect(help, name).not.toMatch(/\(default:? [^)]*\)\s*\(default/)
    }
  })

  it('names the option the user typed in an error, never the service’s field', async () => {
    const dataDir = await tempDir()
    const run = await cli(dataDir, 'site', 'set', ...SAMPLE_SITE_FLAGS, '--mqtt-port', '99999')
    expect(run.code).toBe(2)
    expect(run.err).toBe('fieldflash: --mqtt-port: must be a whole number from 1 to 65535\n')
    const provision = await cli(
      dataDir,
      'provision',
      '--port',
      '/dev/null',
      '--device',
      'nope-0001',
    )
    expect(provision.code).toBe(2)
    expect(provision.err).toMatch(/^fieldflash: --device: no device with UID nope-0001/)
    // A global option, given before or after the command, is named as typed too.
    for (const argv of [
      ['--database', 'mysql://db/x', 'device', 'list'],
      ['device', 'list', '--database', 'mysql://db/x'],
    ]) {
      const global = await cliRaw(...argv, '--data-dir', dataDir)
      expect(global.code).toBe(2)
      expect(global.err).toBe(
        'fieldflash: --database: must be a postgres:// or postgresql:// URL (got mysql://…)\n',
      )
    }
  })

  it('shows the value of a UID that breaks the rule', async () => {
    const run = await cli(
      await tempDir(),
      'device',
      'add',
      '--board',
      'esp32-devkitc',
      '--uid',
      'my pump',
    )
    expect(run.code).toBe(2)
    expect(run.err).toContain('--uid: must be 4–90 characters of 0-9 a-z A-Z - _ ., not "my pump"')
  })

  it('refuses an approval that names no approver, and takes FIELDFLASH_APPROVER as the name', async () => {
    const dataDir = await tempDir()
    await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')
    const nameless = await cli(dataDir, 'operation', 'approve', 'pump-0001', 'op-000000000000')
    expect(nameless.code).toBe(2)
    expect(nameless.err).toMatch(
      /^fieldflash: --approver: is required to approve \(or set FIELDFLASH_APPROVER\)/,
    )
    // With a name from the environment, the approval goes on to find the operation (there is none).
    let err = ''
    const code = await runCli(
      ['operation', 'approve', 'pump-0001', 'op-000000000000', '--data-dir', dataDir],
      { out: () => undefined, err: (t) => (err += t) },
      { FIELDFLASH_APPROVER: 'A. Tech', ...(await registryEnv(dataDir)) },
    )
    expect(code).toBe(2)
    expect(err).toContain('has no operation op-000000000000')
  })

  it('refuses a device list that has a header line only, as it refuses an empty one', async () => {
    const dataDir = await tempDir()
    const dir = await tempDir()
    for (const [name, text] of [
      ['empty.csv', ''],
      ['header.csv', 'uid,board\n'],
    ] as const) {
      await writeFile(join(dir, name), text)
      const run = await cli(
        dataDir,
        'device',
        'import',
        join(dir, name),
        '--board',
        'esp32-devkitc',
      )
      expect(run.code, name).toBe(2)
      expect(run.err).toMatch(/<file>: lists no devices/)
    }
  })

  it('generates shell completion for bash from its own commands', async () => {
    const script = (await cliRaw('completion', 'bash')).out
    const complete = async (...words: string[]): Promise<string[]> => {
      const file = join(await tempDir(), 'ff.bash')
      await writeFile(file, script)
      const { stdout } = await exec('bash', [
        '-c',
        `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _fieldflash; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ]).catch((error: { code?: string }) => {
        if (error.code === 'ENOENT') throw new Error('bash is not installed: apt-get install bash')
        throw error
      })
      return stdout.split('\n').filter(Boolean)
    }
    expect(await complete('fieldflash', 'prov')).toEqual(['provision'])
    expect(await complete('fieldflash', '--json', 'device', '')).toEqual([
      'add',
      'import',
      'list',
      'show',
    ])
    expect(await complete('fieldflash', 'provision', '--be')).toEqual(['--before'])
    expect(await complete('fieldflash', 'provision', '--before', '')).toEqual([
      'default_reset',
      'usb_reset',
      'no_reset',
    ])
    expect(await complete('fieldflash', 'device', 'add', '--board', 'esp32-c')).toEqual([
      'esp32-c3-devkitm-1',
      'esp32-c6-devkitc-1',
    ])
    expect(await complete('fieldflash', 'completion', '')).toEqual(['bash', 'zsh'])
  })

  it('generates shell completion for zsh from its own commands', async () => {
    const file = join(await tempDir(), 'ff.zsh')
    await writeFile(file, (await cliRaw('completion', 'zsh')).out)
    // compadd and _files stand in for zsh's completion system: they print what would be offered.
    const complete = async (...words: string[]): Promise<string> => {
      const { stdout } = await exec('zsh', [
        '-f',
        '-c',
        `compdef() { :; }; compadd() { [[ $1 == -- ]] && shift; print -r -- "$*"; }; _files() { print -r -- "_files $*"; }; source ${file}; words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; _fieldflash`,
      ]).catch((error: { code?: string }) => {
        if (error.code === 'ENOENT') throw new Error('zsh is not installed: apt-get install zsh')
        throw error
      })
      return stdout.trim()
    }
    expect(await complete('fieldflash', 'device', '')).toBe('add import list show')
    expect(await complete('fieldflash', 'verify', '--baud', '115200', '--')).toContain('--approver')
    expect(await complete('fieldflash', 'template', 'pump-0001', '--out', '')).toBe('_files -/')
    expect(await complete('fieldflash', 'firmware', 'import', '')).toBe('_files')
  })

  it('runs the installed binary for --version, as a user would through npx', async () => {
    const { stdout } = await exec(process.execPath, ['bin/fieldflash.js', '--version'], {
      cwd: REPO_ROOT,
    })
    expect(stdout.trim()).toBe(packageJson.version)
  })
})

describe('"Next:" hints lead to a command that can succeed', () => {
  it('points a new ESP8266 device to its template, not to provision', async () => {
    const dataDir = await tempDir()
    const run = await cli(
      dataDir,
      'device',
      'add',
      '--board',
      'esp8266-nodemcuv2',
      '--uid',
      'esp-0001',
    )
    expect(run.code).toBe(0)
    expect(run.out).toContain('Next: fieldflash template esp-0001 --out <dir>')
    expect(run.out).not.toContain('fieldflash provision')
  })

  it('points a new device to provision only once its board has a base firmware', async () => {
    const dataDir = await tempDir()
    const first = await cli(
      dataDir,
      'device',
      'add',
      '--board',
      'esp32-devkitc',
      '--uid',
      'pump-0001',
    )
    expect(first.out).toContain(
      'import the board’s base firmware first: fieldflash firmware import <build> --board esp32-devkitc'.replace(
        '’',
        "'",
      ),
    )
    const build = join(await tempDir(), 'generic')
    await writeFiles(build, {
      'bootloader.bin': espImage({ chipId: 0, segments: [4096] }),
      'partitions.bin': partitionTable(FIELDFLASH_4MB),
      'firmware.bin': espImage({ chipId: 0, segments: [8192] }),
    })
    expect((await cli(dataDir, 'firmware', 'import', build, '--board', 'esp32-devkitc')).code).toBe(
      0,
    )
    const second = await cli(
      dataDir,
      'device',
      'add',
      '--board',
      'esp32-devkitc',
      '--uid',
      'pump-0002',
    )
    expect(second.out).toContain('Next: fieldflash provision --port <port> --device pump-0002')
  })

  it('after flashing a base firmware (no token inside) with --device, points to provision', async () => {
    board = await startPtyEmulator({ chip: 'ESP32' })
    const dataDir = await tempDir()
    await cli(dataDir, 'site', 'set', ...SAMPLE_SITE_FLAGS)
    await cli(dataDir, 'device', 'add', '--board', 'esp32-devkitc', '--uid', 'pump-0001')
    const build = join(await tempDir(), '.pio', 'build', 'generic')
    await writeFiles(build, {
      'bootloader.bin': espImage({ chipId: 0, segments: [4096] }),
      'partitions.bin': partitionTable(FIELDFLASH_4MB),
      'firmware.bin': espImage({ chipId: 0, segments: [8192] }),
    })
    const run = await cli(
      dataDir,
      'flash',
      '--port',
      board.clientPath,
      '--firmware',
      build,
      '--device',
      'pump-0001',
      '--before',
      'no_reset',
    )
    expect(run.code, run.err).toBe(0)
    expect(run.out).toContain(
      `It carries no token of pump-0001 yet. Next: fieldflash provision --port ${board.clientPath} --device pump-0001`,
    )
    expect(run.out).not.toContain('fieldflash verify')
    // And the DTR/RTS warning after the write says what to do then, not how to enter download mode.
    expect(run.err).toContain("Press the board's EN (RST) button to start the new firmware.")
    expect(run.err).not.toContain('hold BOOT')
  }, 60_000)
})
