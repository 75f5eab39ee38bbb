import { readFile } from 'node:fs/promises'
import { Argument, Option, type Command } from 'commander'
import { BROKER_FORMATS, writeBrokerFiles } from '../export/broker-export'
import { verifyPlatformExport, writePlatformExport } from '../export/platform-export'
import { invalidInput } from '../shared/errors'
import type { CliKit } from './cli-kit'
import { emit } from './output'

/** export (and export verify), broker export: what offline work hands the platform and broker. */
export function registerExportCommands(program: Command, kit: CliKit): void {
  const { io, action, context } = kit
  const exporter = program
    .command('export')
    .description(
      'write the signed export for the platform: devices, token and registration hashes, approvals, revocations (no secret), as JSON lines',
    )
    // Not a commander "required" option: commander would demand it of `export verify` too.
    .option('--out <file>', 'where to write it (required); the signature goes to <file>.sig')
    .option(
      '--since <cursor>',
      'only the devices that changed after the cursor a previous export printed ("last": since the last export)',
    )
    .action(
      action(async (cmd) => {
        const o = cmd.opts()
        const result = await writePlatformExport(await context(cmd).store(), {
          outPath: o.out,
          since: o.since,
        })
        emit(io, kit.json(), result, () =>
          [
            `Export written to ${result.path} (${result.devices} device(s), ${result.records} records, ${result.bytes} bytes), signed in ${result.signaturePath}.`,
            `Next time, only what changed: fieldflash export --out <file> --since ${result.cursor} (or --since last)`,
          ].join('\n'),
        )
      }),
    )
  exporter
    .command('verify')
    .addArgument(new Argument('<file>', 'an export file; its signature is <file>.sig'))
    .description("check an export's signature (this site's key, or --key) and its structure")
    .option('--key <pem>', "a public key file (PEM) to check against instead of this site's")
    .action(
      action(async (cmd, file: string) => {
        const o = cmd.optsWithGlobals()
        const publicKeyPem =
          o.key === undefined
            ? undefined
            : await readFile(o.key, 'utf8').catch(() => {
                throw invalidInput('key', `${o.key} cannot be read`)
              })
        const verified = await verifyPlatformExport({
          path: file,
          publicKeyPem,
          dataDir: context(cmd).dataDir,
        })
        emit(
          io,
          kit.json(),
          { ok: true, ...verified },
          () =>
            `${file}: signature good (key ${verified.publicKeySha256.slice(0, 16)}…), ${verified.records} records, ${verified.devices} device(s), cursor ${verified.cursor}.`,
        )
      }),
    )

  program
    .command('broker')
    .description("files for the site's MQTT broker")
    .command('export')
    .description(
      "write the broker's password file (hashed) and ACL: each approved device may use only devices/<uid>/#; revoked ones are left out",
    )
    .addOption(
      new Option('--format <name>', 'the broker').choices([...BROKER_FORMATS]).default('mosquitto'),
    )
    .requiredOption('--out <dir>', 'folder for passwd and acl')
    .action(
      action(async (cmd) => {
        const o = cmd.opts()
        const result = await writeBrokerFiles(await context(cmd).store(), {
          outDir: o.out,
          format: o.format,
        })
        emit(io, kit.json(), result, () =>
          [
            `Wrote ${result.passwordFile} and ${result.aclFile}: ${result.devices} device(s) may log in.`,
            ...result.leftOut.map((d) => `  left out: ${d.uid} (${d.why})`),
            'Point mosquitto.conf at them (password_file, acl_file, allow_anonymous false) and reload the broker (SIGHUP).',
          ].join('\n'),
        )
      }),
    )
}
