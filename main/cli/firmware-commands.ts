import { Option, type Command } from 'commander'
import {
  importFirmware,
  listFirmware,
  removeFirmware,
  type FirmwareEntry,
} from '../firmware-library/firmware-library'
import type { CliKit } from './cli-kit'
import { emit } from './output'

/** firmware import, list and remove: the base firmware library. */
export function registerFirmwareCommands(program: Command, kit: CliKit): void {
  const { io, action, context } = kit
  const firmware = program
    .command('firmware')
    .description(
      'the base firmware library: one firmware per board, flashed with a config partition',
    )

  firmware
    .command('import')
    .argument('<path>', 'build folder, flasher_args.json, manifest.json or merged .bin')
    .description(
      'check a base firmware (build folder, flasher_args.json, manifest.json or merged .bin) and add it to the library',
    )
    .requiredOption('--board <id>', 'the board it is built for, from "fieldflash boards"')
    .addOption(
      new Option(
        '--config-partition <name>',
        'ffcfg, or nvs: erases the board’s Wi-Fi and calibration at every provisioning',
      )
        .choices(['ffcfg', 'nvs'])
        .default('ffcfg'),
    )
    .action(
      action(async (cmd, path: string) => {
        const ctx = context(cmd)
        const o = cmd.opts()
        const result = await importFirmware(await ctx.store(), await ctx.catalog(), {
          path,
          boardId: o.board,
          configPartition: o.configPartition,
        })
        for (const warning of result.warnings) io.err(`fieldflash: warning: ${warning}\n`)
        emit(io, kit.json(), { ...result.entry, created: result.created }, () =>
          [
            result.created
              ? `Imported ${result.entry.name} for ${result.entry.boardId} as ${result.entry.id}.`
              : `${result.entry.name} is already in the library for ${result.entry.boardId} (${result.entry.id}).`,
            formatFirmware(result.entry),
          ].join('\n'),
        )
      }),
    )

  firmware
    .command('list')
    .description('list the library, newest first')
    .option('--board <id>', "only this board's firmware")
    .action(
      action(async (cmd) => {
        const entries = await listFirmware(await context(cmd).store(), {
          boardId: cmd.opts().board,
        })
        emit(io, kit.json(), entries, () =>
          entries.length === 0
            ? 'No base firmware yet. Import one with "fieldflash firmware import <build> --board <id>".'
            : entries.map(formatFirmware).join('\n'),
        )
      }),
    )

  firmware
    .command('remove')
    .argument(
      '<id>',
      'the firmware id (the first hex digits of its SHA-256, as "firmware list" shows)',
    )
    .description('remove a firmware from the library')
    .action(
      action(async (cmd, id: string) => {
        const removed = await removeFirmware(await context(cmd).store(), id)
        emit(io, kit.json(), { removed }, () =>
          removed.map((f) => `Removed ${f.name} (${f.id}) for ${f.boardId}.`).join('\n'),
        )
      }),
    )
}

function formatFirmware(f: FirmwareEntry): string {
  return `${f.id}  ${f.boardId.padEnd(26)} ${f.name}${f.version ? ` ${f.version}` : ''}  ${f.chip}  ${f.totalBytes} bytes  config "${f.config.label}" at 0x${f.config.offset.toString(16)} (0x${f.config.size.toString(16)})  imported ${f.importedAt}`
}
