import type { Command } from 'commander'
import { databaseTarget } from '../store/postgres'
import { checkPostgresRegistry, type PostgresCheck } from '../store/registry-check'
import { copyRegistry } from '../store/registry-copy'
import { REGISTRY_KEY_FILE } from '../store/registry-key'
import { secureDataDir } from '../store/data-dir-guard'
import { setStationName, stationName } from '../store/station-name'
import type { CliKit } from './cli-kit'
import { emit } from './output'

/** doctor: checks the registry's database; registry copy: moves it into PostgreSQL. */
export function registerRegistryCommands(program: Command, kit: CliKit): void {
  const { io, action, context } = kit
  program
    .command('doctor')
    .description(
      "check the registry database: the data directory's SQLite file (integrity), or with --database (or $FIELDFLASH_DATABASE_URL) a PostgreSQL registry (reachable, TLS, schema, counts, this station's registry key); exit 1 when something is wrong",
    )
    .action(
      action(async (cmd) => {
        const ctx = context(cmd)
        if (ctx.database) {
          const check = await checkPostgresRegistry(ctx.database, ctx.dataDir)
          emit(io, kit.json(), check, () => formatCheck(check))
          return check.ok ? 0 : 1
        }
        const store = await ctx.localStore()
        const problems = store.integrityCheck()
        const devices = await store.read((tx) => tx.deviceCount())
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

  const registry = program
    .command('registry')
    .description('the registry itself: move it into PostgreSQL, for several stations to share')
  registry
    .command('copy')
    .description(
      "copy this data directory's registry into an empty PostgreSQL database in one transaction, secrets sealed with the site's registry key, counts checked before it commits",
    )
    .requiredOption('--to <url>', 'the PostgreSQL database, postgres://user:password@host:5432/db')
    .action(
      action(async (cmd) => {
        const o = cmd.opts<{ to: string }>()
        const target = databaseTarget(o.to, 'to')
        const ctx = context(cmd)
        const result = await copyRegistry(await ctx.localStore(), target)
        emit(io, kit.json(), result, () =>
          [
            `Copied the registry of ${ctx.dataDir} into ${result.target} in one transaction (counts checked):`,
            `  ${result.counts.devices} devices, ${result.counts.tokens} tokens, ${result.counts.operations} operations, ${result.counts.flashes} flashes, ${result.counts.registrations} registrations, ${result.counts.firmware} library firmware, ${result.counts.audit} audit entries.`,
            `The MQTT and Wi-Fi passwords and registration keys are sealed with registry key ${result.keyId}${result.keyCreated ? ' (made now)' : ''}: copy ${REGISTRY_KEY_FILE} from ${ctx.dataDir} into the data directory of every station that renders credentials (owner-only).`,
            `Check it: fieldflash doctor --database <url>`,
          ].join('\n'),
        )
      }),
    )

  registry
    .command('station-name')
    .argument('[name]', 'the new name: 1–64 letters, digits, dots, dashes or underscores')
    .description(
      "show or set this data directory's station name, which every audit entry it writes carries (default: the host name)",
    )
    .action(
      action(async (cmd, name: string | undefined) => {
        const { dataDir } = context(cmd)
        if (name !== undefined) {
          secureDataDir(dataDir)
          setStationName(dataDir, name)
        }
        const station = stationName(dataDir)
        emit(io, kit.json(), { station, dataDir }, () =>
          name === undefined
            ? `${station} (the station of ${dataDir})`
            : `${dataDir} is now station ${station}: its audit entries from now on name it.`,
        )
      }),
    )
}

function formatCheck(check: PostgresCheck): string {
  const lines = [
    `${check.database}: ${check.ok ? 'registry check passed' : `${check.problems.length} problem(s) found`}${check.tls ? ' (over TLS)' : ' (not over TLS)'}.`,
  ]
  if (check.schema !== null) lines.push(`Schema ${check.schema}.`)
  if (check.counts) {
    lines.push(
      `${check.counts.devices} device(s), ${check.counts.tokens} token(s), ${check.counts.operations} operation(s), ${check.counts.audit} audit entries.`,
    )
  }
  if (check.key.station && check.key.station === check.key.registry) {
    lines.push(
      `This station's registry key ${check.key.station} opened all ${check.key.opened} sealed value(s).`,
    )
  }
  lines.push(...check.problems.map((p) => `  ${p}`), ...check.notes)
  return lines.join('\n')
}
