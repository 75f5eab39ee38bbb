import type { Command } from 'commander'
import type { Board } from '../boards/catalog'
import {
  addDevice,
  getDevice,
  listDevices,
  rotateMqttPassword,
  type DeviceView,
} from '../devices/devices'
import { regenerateToken, revokeToken, type TokenView } from '../provisioning/tokens'
import { saveSiteProfile, requireSiteProfile, type SiteProfile } from '../site/site-profile'
import { downloadTemplate } from '../template/download-template'
import type { CliKit } from './cli-kit'
import { emit } from './output'

/** site, boards, device, template, token and mqtt commands. */
export function registerProvisioningCommands(program: Command, kit: CliKit): void {
  const { io, common, action, context } = kit
  const site = program
    .command('site')
    .description('the site profile every device of this site uses')
  common(site.command('set'))
    .description('set or update the site profile (fields not given keep their value)')
    .option('--platform-key <key>')
    .option('--api-host <host>')
    .option('--mqtt-host <host>')
    .option('--mqtt-port <port>')
    .option('--ota-base-url <url>')
    .option('--token-lifetime-hours <hours>')
    .action(
      action((cmd) => {
        const { store } = context(cmd)
        const s = store()
        const o = cmd.opts()
        const current: Partial<SiteProfile> = s.read().site ?? {}
        const profile = saveSiteProfile(s, {
          platformKey: o.platformKey ?? current.platformKey,
          apiHost: o.apiHost ?? current.apiHost,
          mqttHost: o.mqttHost ?? current.mqttHost,
          mqttPort: o.mqttPort ?? current.mqttPort,
          otaBaseUrl: o.otaBaseUrl ?? current.otaBaseUrl,
          tokenLifetimeHours: o.tokenLifetimeHours ?? current.tokenLifetimeHours,
        })
        emit(io, kit.json(), profile, () => `Site profile saved.\n${formatSite(profile)}`)
      }),
    )
  common(site.command('show'))
    .description('show the site profile')
    .action(
      action((cmd) => {
        const profile = requireSiteProfile(context(cmd).store())
        emit(io, kit.json(), profile, () => formatSite(profile))
      }),
    )

  common(program.command('boards'))
    .description('list the board catalog')
    .action(
      action(async (cmd) => {
        const boards = (await context(cmd).catalog()).list()
        emit(io, kit.json(), boards, () => boards.map(formatBoard).join('\n'))
      }),
    )

  const device = program.command('device').description('devices and their per-device credentials')
  common(device.command('add'))
    .description('create a device (UID generated unless given)')
    .requiredOption('--board <id>', 'board id from "fieldflash boards"')
    .option('--uid <uid>', 'device UID: 4–90 characters of 0-9 a-z A-Z - _ .')
    .action(
      action(async (cmd) => {
        const ctx = context(cmd)
        const o = cmd.opts()
        const view = addDevice(ctx.store(), await ctx.catalog(), { uid: o.uid, boardId: o.board })
        emit(
          io,
          kit.json(),
          view,
          () =>
            `Device ${view.uid} created for board ${view.boardId}.\nNext: fieldflash template ${view.uid} --out <dir>`,
        )
      }),
    )
  common(device.command('list'))
    .description('list devices')
    .action(
      action((cmd) => {
        const devices = listDevices(context(cmd).store())
        emit(io, kit.json(), devices, () =>
          devices.length === 0
            ? 'No devices yet. Create one with "fieldflash device add --board <id>".'
            : devices.map(formatDeviceLine).join('\n'),
        )
      }),
    )
  common(device.command('show').argument('<uid>'))
    .description('show one device with its tokens')
    .action(
      action((cmd, uid: string) => {
        const view = getDevice(context(cmd).store(), uid)
        emit(io, kit.json(), view, () => formatDevice(view))
      }),
    )

  common(program.command('template').argument('<uid>'))
    .description("download the device's template ZIP with a fresh one-time token")
    .requiredOption('--out <dir>', 'folder to write <uid>.zip into')
    .action(
      action(async (cmd, uid: string) => {
        const ctx = context(cmd)
        const result = await downloadTemplate(ctx.store(), await ctx.catalog(), {
          uid,
          outDir: cmd.opts().out,
        })
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

  const token = program.command('token').description('one-time provisioning tokens')
  common(token.command('regenerate').argument('<uid>'))
    .description('mint a new token without a new ZIP (the old one is superseded)')
    .action(
      action((cmd, uid: string) => {
        const minted = regenerateToken(context(cmd).store(), uid)
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
          },
          () =>
            [
              `WARNING: ${minted.warning}`,
              '',
              'Paste this into include/device_config.h (shown once; FieldFlash keeps only its hash):',
              `#define PROVISIONING_TOKEN "${minted.token}"`,
              '',
              `Fingerprint ${minted.view.fingerprint}; expected verification code ${minted.view.expectedCode}; expires ${minted.view.expiresAt}.`,
            ].join('\n'),
        )
      }),
    )
  common(token.command('revoke').argument('<uid>'))
    .description("revoke the device's issued token")
    .action(
      action((cmd, uid: string) => {
        const view = revokeToken(context(cmd).store(), uid)
        emit(
          io,
          kit.json(),
          { uid, ...view },
          () =>
            `Token ${view.fingerprint} of ${uid} is revoked. Download the template again to mint a new one.`,
        )
      }),
    )

  const mqtt = program.command('mqtt').description('per-device MQTT credentials')
  common(mqtt.command('rotate').argument('<uid>'))
    .description("replace the device's MQTT password (it reaches the board in the next template)")
    .action(
      action((cmd, uid: string) => {
        const view = rotateMqttPassword(context(cmd).store(), uid)
        emit(
          io,
          kit.json(),
          { uid, mqttUsername: view.mqttUsername, mqttPasswordSetAt: view.mqttPasswordSetAt },
          () =>
            `MQTT password of ${uid} replaced. Download the template again and reflash; the broker must learn the new password too.`,
        )
      }),
    )
}

function formatSite(p: SiteProfile): string {
  return [
    `platform key:  ${p.platformKey}`,
    `API host:      ${p.apiHost}`,
    `MQTT:          ${p.mqttHost}:${p.mqttPort}`,
    `OTA base URL:  ${p.otaBaseUrl}`,
    `token lifetime: ${p.tokenLifetimeHours} h`,
  ].join('\n')
}

function formatBoard(b: Board): string {
  const usb = b.usb.map((u) => `${u.vid}:${u.pid} ${u.bridge}`).join(', ')
  return `${b.id.padEnd(28)} ${b.name} — ${b.chipFamily}, ${b.flash.size} flash${b.psram ? `, ${b.psram} PSRAM` : ''}; USB ${usb}`
}

function formatToken(t: TokenView): string {
  return `${t.fingerprint}  ${t.state.padEnd(10)} code ${t.expectedCode}  issued ${t.issuedAt}  expires ${t.expiresAt}${t.endedAt ? `  ended ${t.endedAt}` : ''}`
}

function formatDeviceLine(d: DeviceView): string {
  const t = d.currentToken
  return `${d.uid.padEnd(24)} ${d.boardId.padEnd(26)} ${t ? `token ${t.fingerprint} ${t.state}` : 'no token yet'}`
}

function formatDevice(d: DeviceView): string {
  return [
    `UID:            ${d.uid}`,
    `board:          ${d.boardId}`,
    `created:        ${d.createdAt}`,
    `MQTT username:  ${d.mqttUsername} (password set ${d.mqttPasswordSetAt})`,
    'tokens (oldest first):',
    ...(d.tokens.length
      ? d.tokens.map((t) => '  ' + formatToken(t))
      : ['  none yet: fieldflash template ' + d.uid + ' --out <dir>']),
  ].join('\n')
}
