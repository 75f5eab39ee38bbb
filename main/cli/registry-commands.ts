import type { Command } from 'commander'
import type { CliKit } from './cli-kit'
import { emit } from './output'

/** doctor: checks the registry's database. */
export function registerRegistryCommands(program: Command, kit: CliKit): void {
  const { io, action, context } = kit
  program
    .command('doctor')
    .description("check the registry database's integrity (exit 1 when it is damaged)")
    .action(
      action((cmd) => {
        const store = context(cmd).store()
        const problems = store.integrityCheck()
        const devices = store.read((tx) => tx.deviceCount())
        emit(
          io,
          kit.json(),
          { ok: problems.length === 0, path: store.path, devices, problems },
          () =>
            problems.length === 0
              ? `${store.path}: integrity check passed (${devices} device(s)).`
              : [
                  `${store.path}: ${problems.length} problem(s) found:`,
                  ...problems.slice(0, 50).map((p) => `  ${p}`),
                  'Restore the file from a backup; FieldFlash does not repair it by itself.',
                ].join('\n'),
        )
        return problems.length === 0 ? 0 : 1
      }),
    )
}
