import { InvalidArgumentError, Option } from 'commander'
import type { BeforeMode } from '../flash/flash-events'
import { DEFAULT_BAUD_RATE } from '../monitor/serial-monitor'
import { DEFAULT_FLASH_BAUD, FLASH_BAUD_RATES, isFlashBaud } from '../../common/baud-rates'

// Options several commands share, parsed by commander itself: a bad value ends the run with
// exit 2 and commander's "option '--x' argument 'y' is invalid" naming the option, before any
// action runs.

const BEFORE_MODES: BeforeMode[] = ['default_reset', 'usb_reset', 'no_reset']

/** Wraps a rule as a commander argument parser: a failure names the field and the rule. */
function parser<T>(field: string, parse: (text: string) => T | null, rule: string) {
  return (text: string): T => {
    const value = parse(text)
    if (value === null) throw new InvalidArgumentError(`${field}: ${rule}`)
    return value
  }
}

/** --baud for flashing: one of the rates the flasher offers; absent, the USB bridge decides. */
export function flashBaudOption(): Option {
  return new Option(
    '--baud <n>',
    `baud rate (default: what the port's USB bridge carries, ${DEFAULT_FLASH_BAUD} for an unknown one)`,
  ).argParser(
    parser(
      'baud',
      (text) => (isFlashBaud(Number(text)) ? Number(text) : null),
      `must be one of ${FLASH_BAUD_RATES.join(', ')}`,
    ),
  )
}

/** --baud for a console: any whole rate. */
export function consoleBaudOption(): Option {
  return new Option('--baud <n>', 'baud rate of the console')
    .argParser(
      parser(
        'baud',
        (text) => (/^\d{3,8}$/.test(text) ? Number(text) : null),
        'must be a whole number such as 115200',
      ),
    )
    .default(DEFAULT_BAUD_RATE, String(DEFAULT_BAUD_RATE))
}

/** --before: how the board is put into its ROM loader. */
export function beforeOption(): Option {
  return new Option(
    '--before <mode>',
    'how the board enters its ROM loader: the auto-reset circuit, native USB, or by hand (no_reset)',
  )
    .choices(BEFORE_MODES)
    .default('default_reset')
}

/** --offset: where a single .bin goes. */
export function offsetOption(): Option {
  return new Option('--offset <hex>', 'where a single .bin goes (default 0x0)').argParser(
    parser(
      'offset',
      (text) => (/^(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text) : null),
      'must be a number such as 0x10000',
    ),
  )
}

/** A number of seconds from 0.1 to a day (--timeout, --duration). */
export function secondsOption(flags: string, description: string, field: string): Option {
  return new Option(flags, description).argParser(
    parser(
      field,
      (text) => {
        const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN
        return seconds >= 0.1 && seconds <= 86_400 ? seconds : null
      },
      'must be a number of seconds from 0.1 to 86400',
    ),
  )
}
