import { Argument, type Command } from 'commander'
import { assertDeviceUid } from '../shared/device-uid'
import type { Board, BoardCatalog } from '../boards/catalog'
import { listFirmware } from '../firmware-library/firmware-library'
import type { FieldFlashStore } from '../store/store'
import { readFile } from 'node:fs/promises'
import {
  allDevices,
  addDevice,
  rotateMqttPassword,
  viewDevice,
  type DeviceSummary,
  type DeviceView,
} from '../devices/devices'
import { importDevices, parseDeviceList } from '../devices/import-devices'
import { requireDevice } from '../store/require-device'
import type { DeviceRecord } from '../store/records'
import type { RegistrationView } from '../registration/registrations'
import { invalidInput } from '../shared/errors'
import { regenerateToken, revokeToken, type TokenView } from '../credentials/tokens'
import {
  requireSiteProfile,
  saveSiteProfile,
  viewSiteProfile,
  type SiteProfileView,
} from '../site/site-profile'
import { parsePartitionSize } from '../config-partition/config-partition'
import { writeConfigPartition } from '../config-partition/write-config-partition'
import { removeLiveTempFiles } from '../credentials/credential-files'
import { downloadTemplate } from '../template/download-template'
import type { CliKit } from './cli-kit'
import { emit } from './output'
import { sitePublicKey } from '../export/site-key'

/** site, boards, device, template, token and mqtt commands. */
export function registerProvisioningCommands(program: Command, kit: CliKit): void {
  const { io, action, context } = kit
  const site = program
    .command('site')
    .description('the site profile every device of this site uses')
  site
    .command('set')
    .description('set or update the site profile (fields not given keep their value)')
    .option('--platform-key <key>', 'the platform key every device of the site carries')
    .option('--api-host <host>', 'DNS name (or IP) of the platform API, without scheme or path')
    .option('--mqtt-host <host>', 'DNS name (or IP) of the MQTT broker')
    .option('--mqtt-port <port>', 'TCP port of the MQTT broker, 1–65535 (8883 for TLS)')
    .option('--ota-base-url <url>', 'https:// URL firmware updates are fetched from')
    .option(
      '--token-lifetime-hours <hours>',
      'how long a one-time provisioning token stays valid (default 168, a week)',
    )
    .option(
      '--registration-lifetime-days <days>',
      'how long the registration token an approved board receives stays valid (default 365)',
    )
    .option(
      '--wifi-ssid <ssid>',
      'the site Wi-Fi written into config partitions (a saved password is kept)',
    )
    .option(
      '--wifi-password <password>',
      'WPA passphrase (8–63 characters), 64 hex digits, or "" for an open network; never shown again',
    )
    .option('--no-wifi', 'remove the site Wi-Fi')
    .action(
      action(async (cmd) => {
        const o = cmd.opts()
        // Fields not given keep their saved value (half a Wi-Fi keeps the other half), read in
        // the same transaction as the save.
        const profile = await saveSiteProfile(await context(cmd).store(), {
          platformKey: o.platformKey,
          apiHost: o.apiHost,
          mqttHost: o.mqttHost,
          mqttPort: o.mqttPort,
          otaBaseUrl: o.otaBaseUrl,
          tokenLifetimeHours: o.tokenLifetimeHours,
          registrationLifetimeDays: o.registrationLifetimeDays,
          wifi:
            o.wifi === false
              ? null
              : o.wifiSsid !== undefined || o.wifiPassword !== undefined
                ? { ssid: o.wifiSsid, password: o.wifiPassword }
                : undefined,
        })
        const view = viewSiteProfile(profile)
        emit(io, kit.json(), view, () => `Site profile saved.\n${formatSite(view)}`)
      }),
    )
  site
    .command('show')
    .description('show the site profile')
    .action(
      action(async (cmd) => {
        const ctx = context(cmd)
        const view = viewSiteProfile(await requireSiteProfile(await ctx.store()))
        // The key that signs this site's exports (made on first use), for the platform to pin.
        const key = sitePublicKey(ctx.dataDir)
        const shown = { ...view, exportPublicKey: key.pem, exportPublicKeySha256: key.sha256 }
        emit(io, kit.json(), shown, () =>
          [
            formatSite(view),
            `export key:    SHA-256 ${key.sha256}`,
            'The platform pins this public key to check the exports (fieldflash export):',
            key.pem.trimEnd(),
          ].join('\n'),
        )
      }),
    )

  program
    .command('boards')
    .description('list the board catalog')
    .action(
      action(async (cmd) => {
        const boards = (await context(cmd).catalog()).list()
        emit(io, kit.json(), boards, () => boards.map(formatBoard).join('\n'))
      }),
    )

  const device = program.command('device').description('devices and their per-device credentials')
  const uidArgument = (): Argument => new Argument('<uid>', 'the device UID')
  device
    .command('add')
    .description('create a device (UID generated unless given)')
    .requiredOption('--board <id>', 'board id from "fieldflash boards"')
    .option('--uid <uid>', 'device UID: 4–90 characters of 0-9 a-z A-Z - _ .')
    .action(
      action(async (cmd) => {
        const ctx = context(cmd)
        const o = cmd.opts()
        const catalog = await ctx.catalog()
        const store = await ctx.store()
        const view = await addDevice(store, catalog, { uid: o.uid, boardId: o.board })
        const next = await credentialsStep(store, catalog, view.uid)
        emit(
          io,
          kit.json(),
          view,
          () => `Device ${view.uid} created for board ${view.boardId}.\nNext: ${next}`,
        )
      }),
    )
  device
    .command('import')
    .argument('<file>', 'a text file with one UID per line, or a CSV')
    .description(
      'create many devices at once from a list (one UID per line, or a CSV with a "uid" column and optionally "board"); all or nothing',
    )
    .option('--board <id>', 'board of the rows that name none')
    .action(
      action(async (cmd, file: string) => {
        const ctx = context(cmd)
        let text: string
        try {
          text = await readFile(file, 'utf8')
        } catch (error) {
          throw invalidInput(
            'file',
            (error as NodeJS.ErrnoException).code === 'ENOENT'
              ? `${file} does not exist`
              : `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
          )
        }
        const rows = parseDeviceList(text, cmd.opts().board, await ctx.catalog())
        const result = await importDevices(await ctx.store(), rows)
        emit(io, kit.json(), result, () =>
          [
            `Imported ${result.created} device(s) from ${file}:`,
            ...Object.entries(result.boards).map(([board, n]) => `  ${board}: ${n}`),
            'Next: fieldflash device list',
          ].join('\n'),
        )
      }),
    )
  device
    .command('list')
    .description(
      'list devices with their status (new, flashed, verified, approved, registered, revoked) and registration state',
    )
    .action(
      action(async (cmd) => {
        const store = await context(cmd).store()
        // Streamed page by page: the registry may hold 100,000 devices.
        let count = 0
        if (kit.json()) io.out('[')
        for await (const item of allDevices(store)) {
          io.out(
            kit.json()
              ? `${count ? ',' : ''}\n${JSON.stringify(item)}`
              : formatDeviceLine(item) + '\n',
          )
          count++
        }
        if (kit.json()) io.out(count ? '\n]\n' : ']\n')
        else if (count === 0)
          io.out('No devices yet. Create one with "fieldflash device add --board <id>".\n')
      }),
    )
  device
    .command('show')
    .addArgument(uidArgument())
    .description('show one device: status, tokens, flashes and provisioning operations')
    .action(
      action(async (cmd, uid: string) => {
        assertDeviceUid(uid, 'uid')
        const store = await context(cmd).store()
        const record = await store.read((tx) => requireDevice(tx, uid))
        const view = viewDevice(record)
        const details = { ...view, flashes: record.flashes, operations: record.operations }
        emit(io, kit.json(), details, () => formatDevice(view, record))
      }),
    )

  program
    .command('template')
    .addArgument(uidArgument())
    .description("download the device's template ZIP with a fresh one-time token")
    .requiredOption('--out <dir>', 'folder to write <uid>.zip into')
    .action(
      action(async (cmd, uid: string) => {
        assertDeviceUid(uid, 'uid')
        const ctx = context(cmd)
        const catalog = await ctx.catalog()
        const store = await ctx.store()
        const result = await removingTempFilesOnSignal(() =>
          downloadTemplate(store, catalog, { uid, outDir: cmd.opts().out }),
        )
        emit(
          io,
          kit.json(),
          {
            zipPath: result.zipPath,
            uid: result.uid,
            boardId: result.boardId,
            fingerprint: result.token.fingerprint,
            expectedCode: result.token.expectedCode,
            expiresAt: result.token.expiresAt,
            supersededFingerprint: result.superseded?.fingerprint ?? null,
          },
          () =>
            [
              `Template written to ${result.zipPath} (owner-only; do not share it).`,
              `Token fingerprint ${result.token.fingerprint}, expires ${result.token.expiresAt}.`,
              `Expected verification code on the board's console: ${result.token.expectedCode}`,
              result.superseded
                ? `Token ${result.superseded.fingerprint} is superseded: firmware built from older templates will not verify.`
                : '',
            ]
              .filter(Boolean)
              .join('\n'),
        )
      }),
    )

  program
    .command('config-partition')
    .addArgument(uidArgument())
    .description(
      "write the device's ffcfg config partition (ESP-IDF NVS) with a fresh one-time token, for other flashing tools",
    )
    .requiredOption('--out <file.bin>', 'where to write the image (owner-only)')
    .option('--size <bytes>', 'partition size, hex or decimal (default 0x3000)')
    .action(
      action(async (cmd, uid: string) => {
        assertDeviceUid(uid, 'uid')
        const ctx = context(cmd)
        const o = cmd.opts()
        const size = o.size === undefined ? undefined : parsePartitionSize(o.size)
        const catalog = await ctx.catalog()
        const store = await ctx.store()
        const result = await removingTempFilesOnSignal(() =>
          writeConfigPartition(store, catalog, { uid, outPath: o.out, size }),
        )
        emit(
          io,
          kit.json(),
          {
            path: result.path,
            uid,
            size: result.size,
            fingerprint: result.token.fingerprint,
            expectedCode: result.token.expectedCode,
            expiresAt: result.token.expiresAt,
            supersededFingerprint: result.superseded?.fingerprint ?? null,
          },
          () =>
            [
              `Config partition written to ${result.path} (${result.size} bytes, owner-only; it holds secrets).`,
              `Flash it at the offset of the ffcfg partition in the base firmware's partition table.`,
              `Token fingerprint ${result.token.fingerprint}, expires ${result.token.expiresAt}.`,
              `Expected verification code on the board's console: ${result.token.expectedCode}`,
              result.superseded
                ? `Token ${result.superseded.fingerprint} is superseded: boards carrying it will not verify.`
                : '',
            ]
              .filter(Boolean)
              .join('\n'),
        )
      }),
    )

  const token = program.command('token').description('one-time provisioning tokens')
  token
    .command('regenerate')
    .addArgument(uidArgument())
    .description('mint a new token without a new ZIP (the old one is superseded)')
    .action(
      action(async (cmd, uid: string) => {
        assertDeviceUid(uid, 'uid')
        const minted = await regenerateToken(await context(cmd).store(), uid)
        emit(
          io,
          kit.json(),
          {
            uid,
            token: minted.token,
            fingerprint: minted.view.fingerprint,
            expectedCode: minted.view.expectedCode,
            expiresAt: minted.view.expiresAt,
            supersededFingerprint: minted.superseded?.fingerprint ?? null,
            warning: minted.warning,
            removedFiles: minted.removedFiles,
          },
          () =>
            [
              `WARNING: ${minted.warning}`,
              ...minted.removedFiles.map(
                (path) =>
                  `Removed the outdated template ZIP ${path} (it carried the superseded token).`,
              ),
              '',
              'Paste this into include/device_config.h (shown once; FieldFlash keeps only its hash):',
              `#define PROVISIONING_TOKEN "${minted.token}"`,
              '',
              `Fingerprint ${minted.view.fingerprint}; expected verification code ${minted.view.expectedCode}; expires ${minted.view.expiresAt}.`,
            ].join('\n'),
        )
      }),
    )
  token
    .command('revoke')
    .addArgument(uidArgument())
    .description("revoke the device's issued token")
    .action(
      action(async (cmd, uid: string) => {
        assertDeviceUid(uid, 'uid')
        const ctx = context(cmd)
        const view = await revokeToken(await ctx.store(), uid)
        const next = await credentialsStep(await ctx.store(), await ctx.catalog(), uid)
        emit(
          io,
          kit.json(),
          { uid, ...view },
          () =>
            `Token ${view.fingerprint} of ${uid} is revoked. To give the board a new one: ${next}`,
        )
      }),
    )

  const mqtt = program.command('mqtt').description('per-device MQTT credentials')
  mqtt
    .command('rotate')
    .addArgument(uidArgument())
    .description("replace the device's MQTT password (it reaches the board in the next template)")
    .action(
      action(async (cmd, uid: string) => {
        assertDeviceUid(uid, 'uid')
        const ctx = context(cmd)
        const view = await rotateMqttPassword(await ctx.store(), uid)
        const next = await credentialsStep(await ctx.store(), await ctx.catalog(), uid)
        emit(
          io,
          kit.json(),
          { uid, mqttUsername: view.mqttUsername, mqttPasswordSetAt: view.mqttPasswordSetAt },
          () =>
            `MQTT password of ${uid} replaced; the board gets it with its next credentials, the broker with the next "fieldflash broker export". Next: ${next}`,
        )
      }),
    )
}

/**
 * How a device's board gets fresh credentials from here, as a command that can succeed: provision
 * when the library has the board's base firmware, else its template (an ESP8266 only has that).
 */
async function credentialsStep(
  store: FieldFlashStore,
  catalog: BoardCatalog,
  uid: string,
): Promise<string> {
  const board = catalog.get((await store.read((tx) => requireDevice(tx, uid))).boardId)
  const template = `fieldflash template ${uid} --out <dir>, then build and flash it`
  if (board.chipFamily === 'ESP8266') {
    return `${template} (an ESP8266 has no config partition, so it cannot be provisioned without a compiler).`
  }
  if ((await listFirmware(store, { boardId: board.id })).length > 0) {
    return `fieldflash provision --port <port> --device ${uid} (no compiler), or ${template}.`
  }
  return `${template}; or, to provision with no compiler, import the board's base firmware first: fieldflash firmware import <build> --board ${board.id}`
}

/**
 * Runs work that writes a file carrying secrets: on Ctrl+C or a kill its temporary file goes at
 * once (a SIGKILL's is finished or removed at the next start).
 */
async function removingTempFilesOnSignal<T>(work: () => Promise<T>): Promise<T> {
  const stop = (signal: NodeJS.Signals): void => {
    removeLiveTempFiles()
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    return await work()
  } finally {
    process.removeListener('SIGINT', stop)
    process.removeListener('SIGTERM', stop)
  }
}

function formatSite(p: SiteProfileView): string {
  return [
    `platform key:  ${p.platformKey}`,
    `API host:      ${p.apiHost}`,
    `MQTT:          ${p.mqttHost}:${p.mqttPort}`,
    `OTA base URL:  ${p.otaBaseUrl}`,
    `token lifetime: ${p.tokenLifetimeHours} h`,
    `registration lifetime: ${p.registrationLifetimeDays} days`,
    `Wi-Fi:         ${p.wifi ? `${p.wifi.ssid} (${p.wifi.open ? 'open network' : 'password set'})` : 'none'}`,
  ].join('\n')
}

function formatBoard(b: Board): string {
  const usb = b.usb.map((u) => `${u.vid}:${u.pid} ${u.bridge}`).join(', ')
  const line = `${b.id.padEnd(28)} ${b.name} — ${b.chipFamily}, ${b.flash.size} flash${b.psram ? `, ${b.psram} PSRAM` : ''}; USB ${usb}`
  const { supported, why } = b.offlineRegistration
  return supported ? line : `${line}\n${' '.repeat(29)}cannot be registered offline: ${why}`
}

function formatToken(t: TokenView): string {
  return `${t.fingerprint}  ${t.state.padEnd(10)} code ${t.expectedCode}  issued ${t.issuedAt}  expires ${t.expiresAt}${t.endedAt ? `  ended ${t.endedAt}` : ''}`
}

function formatDeviceLine(d: DeviceSummary): string {
  const t = d.currentToken
  const r = d.registration
  const registration = r.current ? `  registration ${r.current.fingerprint} ${r.status}` : ''
  return `${d.uid.padEnd(24)} ${d.boardId.padEnd(26)} ${d.status.padEnd(10)} ${t ? `token ${t.fingerprint} ${t.state}` : 'no token yet'}${registration}`
}

function formatRegistration(r: RegistrationView): string {
  return `${r.fingerprint}  ${r.state.padEnd(10)} ${r.origin.padEnd(8)} issued ${r.issuedAt}  expires ${r.expiresAt}${r.ackedAt ? `  acknowledged ${r.ackedAt}${r.mac ? ` by ${r.mac}` : ''}` : ''}${r.reason ? `  (${r.reason})` : ''}`
}

function formatDevice(d: DeviceView, record: DeviceRecord): string {
  const approval = record.operations.find((op) => op.state === 'approved')
  return [
    `UID:            ${d.uid}`,
    `board:          ${d.boardId}`,
    `status:         ${d.status}${approval ? ` (approved ${approval.decidedAt}${approval.approver ? ` by ${approval.approver}` : ''})` : ''}`,
    `created:        ${d.createdAt}`,
    `MQTT username:  ${d.mqttUsername} (password set ${d.mqttPasswordSetAt})`,
    'tokens (oldest first):',
    ...(d.tokens.length
      ? d.tokens.map((t) => '  ' + formatToken(t))
      : ['  none yet: fieldflash template ' + d.uid + ' --out <dir>']),
    `registration:   ${d.registration.status}${d.registration.current ? ` (token ${d.registration.current.fingerprint}, expires ${d.registration.current.expiresAt})` : ''}`,
    'registration tokens (oldest first):',
    ...(d.registrations.length
      ? d.registrations.map((r) => '  ' + formatRegistration(r))
      : ['  none yet: approve the board, it then registers over the cable']),
    'flashes (oldest first):',
    ...(record.flashes.length
      ? record.flashes.map(
          (f) => `  ${f.at}  ${f.port}  ${f.chip}  MAC ${f.mac}  ${f.firmwareName}`,
        )
      : ['  none yet']),
    'provisioning operations (oldest first):',
    ...(record.operations.length
      ? record.operations.map(
          (op) =>
            `  ${op.id}  ${op.state.padEnd(8)} ${op.classification}  token ${op.fingerprint}  code ${op.code}  MAC ${op.mac}  seen ${op.firstSeenAt}${op.decidedAt ? `  decided ${op.decidedAt}${op.approver ? ` by ${op.approver}` : ''}` : ''}`,
        )
      : ['  none yet']),
  ].join('\n')
}
