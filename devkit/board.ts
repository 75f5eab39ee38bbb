// A virtual board anyone can run: `npm run devkit:board -- --port <path> --config <ffcfg.bin>`.
//
// Creates a pseudo-terminal at <path> and runs the base firmware's own C code behind it
// (lib/ff_bootstrap and the firmware's main loop, built for this computer with gcc): a board that
// has just been flashed with that config partition. It prints its FFBOOT banner, answers a
// registration (FFREG → FFACK) and keeps its own nvs (its registration) for as long as it runs,
// or across runs with --state <file>. So a firmware developer or a trainer can walk the whole loop
// (provision → verify → approve → registered) with no hardware:
//
//   fieldflash config-partition pump-0001 --out /tmp/ffcfg.bin
//   npm run devkit:board -- --port /tmp/ttyFF0 --config /tmp/ffcfg.bin
//   fieldflash verify --port /tmp/ttyFF0 --device pump-0001 --approve --approver "A. Tech"

import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { buildHostBoard, removeBuild } from './firmware/host-build'
import { startPtyBoardAt } from './pty'

const USAGE = `usage: npm run devkit:board -- --port <path> --config <ffcfg.bin> [--mac aa:bb:cc:dd:ee:ff]
                             [--interval-ms <ms>] [--state <file>]
  --port         where the pseudo-terminal appears (open it like /dev/ttyUSB0)
  --config       the board's ffcfg partition: "fieldflash config-partition <uid> --out <file>"
  --mac          the station MAC the board reports (default 02:00:00:00:00:01)
  --interval-ms  period of the banner or status line (default 5000, as the firmware)
  --state        keep the board's own nvs (its registration) in this file across runs`

function fail(message: string): never {
  process.stderr.write(`devkit:board: ${message}\n${USAGE}\n`)
  process.exit(2)
}

async function main(): Promise<void> {
  let values: Record<string, string | undefined>
  try {
    ;({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        config: { type: 'string' },
        mac: { type: 'string' },
        'interval-ms': { type: 'string' },
        state: { type: 'string' },
      },
      strict: true,
    }))
  } catch (error) {
    fail((error as Error).message)
  }
  if (!values.port) fail('--port is required')
  if (!values.config) fail('--config is required')
  const config = resolve(values.config)
  const size = await stat(config).then(
    (info) => info.size,
    () => fail(`--config: ${config} does not exist`),
  )
  if (size < 0x3000 || size % 0x1000 !== 0) {
    fail(
      `--config: ${config} is ${size} bytes, not an ffcfg partition (0x3000 or more, in 4 KiB pages)`,
    )
  }
  if (values.mac !== undefined && !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(values.mac)) {
    fail('--mac: must be six hex octets like 24:0a:c4:12:34:56')
  }
  if (values['interval-ms'] !== undefined && !/^[1-9]\d{0,7}$/.test(values['interval-ms'])) {
    fail('--interval-ms: must be a whole number of milliseconds')
  }

  process.stderr.write('Building the base firmware for this computer (gcc)…\n')
  const binary = await buildHostBoard(null)
  const work = await mkdtemp(join(tmpdir(), 'fieldflash-board-'))
  const state = values.state ? resolve(values.state) : join(work, 'nvs.state')
  const args = ['--nvs', config, '--state', state]
  if (values.mac) args.push('--mac', values.mac)
  if (values['interval-ms']) args.push('--interval-ms', values['interval-ms'])
  const port = resolve(values.port)
  const board = await startPtyBoardAt(port, binary, args, join(work, 'board.sh'))

  process.stdout.write(
    [
      `A virtual board is on ${port}: the base firmware's own code, flashed with ${config}.`,
      `Verify and approve it: fieldflash verify --port ${port} --device <uid> --approve --approver "<your name>"`,
      'Ctrl+C stops it.',
      '',
    ].join('\n'),
  )
  const stop = async (): Promise<void> => {
    await board.stop()
    await removeBuild(binary)
    await rm(work, { recursive: true, force: true })
    process.exit(0)
  }
  process.once('SIGINT', () => void stop())
  process.once('SIGTERM', () => void stop())
  await new Promise<void>((done) => board.child.once('exit', () => done()))
  process.stderr.write('devkit:board: the board stopped.\n')
  await removeBuild(binary)
  await rm(work, { recursive: true, force: true })
}

void main()
