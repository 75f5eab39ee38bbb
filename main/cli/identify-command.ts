import type { Command } from 'commander'
import { identifyBoard, type BoardIdentity } from '../identify/identify-board'
import type { CliKit } from './cli-kit'
import { beforeOption, flashBaudOption } from './options'
import { findPort, runFlashJob } from './flash-commands'

/** `identify`: what a board is, read back from its flash. */
export function registerIdentifyCommand(program: Command, kit: CliKit): void {
  const { action, context } = kit
  program
    .command('identify')
    .description(
      'read a board back (in download mode) and say what it is: its device and token as this registry knows them, its base firmware, chip, MAC and security state; writes nothing, shows no secret',
    )
    .requiredOption('--port <path>', 'serial port, e.g. /dev/ttyUSB0 or COM3')
    .addOption(flashBaudOption())
    .addOption(beforeOption())
    .action(
      action(async (cmd) => {
        const o = cmd.opts()
        const ctx = context(cmd)
        const catalog = await ctx.catalog()
        const store = await ctx.store()
        return runFlashJob(
          kit,
          cmd,
          await findPort(catalog, o.port),
          o.port,
          (port, emit, signal) =>
            identifyBoard(
              { store, catalog },
              { port, baud: o.baud, before: o.before },
              emit,
              signal,
              kit.access?.flashDependencies,
            ),
          (result) => result,
          formatIdentity,
        )
      }),
    )
}

const TOKEN_TEXT = {
  current: 'current: the board verifies; next, fieldflash verify --approve',
  consumed: 'consumed: the board was approved with it',
  superseded: 'superseded: a newer token was minted since; provision the board again',
  revoked: 'revoked: it will never be approved; provision the board again',
  expired: 'expired: provision the board again',
  unknown: 'unknown to this registry: another installation or data folder provisioned it',
} as const

function formatIdentity(b: BoardIdentity): string {
  const lines = [
    `Board on ${b.port}: ${b.description}, MAC ${b.mac}${b.flashSize ? `, ${b.flashSize} flash` : ''}.`,
    b.security
      ? `Security: secure boot ${b.security.secureBoot ? 'on' : 'off'}, flash encryption ${b.security.flashEncryption ? `on (FLASH_CRYPT_CNT ${b.security.flashCryptCnt})` : 'off'}${b.security.secureDownloadMode ? ', secure download mode' : ''}.`
      : "Security: not reported by this chip's ROM.",
  ]
  if (!b.partitions) {
    lines.push(
      b.chip === 'ESP8266'
        ? 'No partition table: an ESP8266 keeps its values in its firmware (template), not in a config partition.'
        : 'No partition table: the board is blank, or its firmware is not laid out by ESP-IDF.',
    )
  } else if (!b.config) {
    lines.push(
      'Its partition table has no ffcfg (or nvs) partition: not a FieldFlash base firmware.',
    )
  } else if (b.config.state === 'erased') {
    lines.push(
      `Config: ${b.config.partition} at 0x${b.config.offset.toString(16)} is erased: not provisioned.`,
    )
  } else if (b.config.state === 'other') {
    lines.push(
      `Config: ${b.config.partition} at 0x${b.config.offset.toString(16)} holds no FieldFlash values.`,
    )
  } else {
    lines.push(
      `Config: ${b.config.partition} at 0x${b.config.offset.toString(16)} (0x${b.config.size.toString(16)} bytes) holds ${b.config.keys.join(', ')} (values not shown).`,
    )
  }
  const d = b.device
  if (d && !d.known) {
    lines.push(
      `Device: ${d.uid}, which this registry does not know (another installation or data folder).`,
    )
  } else if (d) {
    lines.push(
      `Device: ${d.uid} (${d.boardId}), token ${b.config?.fingerprint ?? '?'} ${d.token ? TOKEN_TEXT[d.token] : ''}.`,
    )
  }
  lines.push(
    b.firmware
      ? `Firmware: ${b.firmware.name}${b.firmware.version ? ` ${b.firmware.version}` : ''}, library id ${b.firmware.id} (${b.firmware.boardId}).`
      : 'Firmware: none of the library firmware for this chip (or not all of its parts).',
    `Read ${b.bytesRead} bytes in ${(b.durationMs / 1000).toFixed(1)} s; nothing was written.`,
  )
  return lines.join('\n')
}
