import { DEFAULT_FLASH_BAUD } from '../../common/baud-rates'

/**
 * Friendly names for the USB serial bridges ESP boards ship with, by USB VID:PID (lowercase hex).
 * Technicians recognise "CP210x" or "CH340" from driver downloads and board silkscreens.
 */
const BRIDGES: Record<string, string> = {
  '10c4:ea60': 'Silicon Labs CP210x',
  '10c4:ea70': 'Silicon Labs CP2105',
  '10c4:ea71': 'Silicon Labs CP2108',
  '1a86:7523': 'WCH CH340',
  '1a86:7522': 'WCH CH340K',
  '1a86:5523': 'WCH CH341',
  '1a86:55d4': 'WCH CH9102',
  '1a86:55d3': 'WCH CH343',
  '1a86:55d2': 'WCH CH342',
  '0403:6001': 'FTDI FT232R',
  '0403:6010': 'FTDI FT2232',
  '0403:6011': 'FTDI FT4232',
  '0403:6014': 'FTDI FT232H',
  '0403:6015': 'FTDI FT231X',
  '067b:2303': 'Prolific PL2303',
  '303a:1001': 'Espressif USB Serial/JTAG (native USB)',
  '303a:0002': 'Espressif USB CDC (native USB)',
}

const VENDORS: Record<string, string> = {
  '10c4': 'Silicon Labs',
  '1a86': 'WCH',
  '0403': 'FTDI',
  '067b': 'Prolific',
  '303a': 'Espressif',
}

/**
 * A USB vendor or product id as FieldFlash keeps it: 4 lowercase hex digits (serialport reports
 * "10C4" on one OS and "10c4" on another), or null when the port has none.
 */
export function usbId(raw: string | null | undefined): string | null {
  return raw ? raw.toLowerCase().padStart(4, '0') : null
}

/** A readable bridge name for a VID:PID, or null for an unknown vendor. */
export function bridgeName(vid: string | null, pid: string | null): string | null {
  if (!vid) return null
  const v = usbId(vid)!
  const vendor = VENDORS[v]
  return BRIDGES[`${v}:${usbId(pid) ?? ''}`] ?? (vendor ? `${vendor} USB serial` : null)
}

/**
 * Native-USB chips (S2/S3/C3/C6) enumerate as Espressif's own VID; they re-enumerate after a reset,
 * so the port may come back under a new path, and they reset through a different DTR/RTS dance.
 */
export function isNativeEspressifUsb(vid: string | null): boolean {
  return usbId(vid) === '303a'
}

/**
 * The fastest rate each bridge carries reliably on ESP boards, by vendor (and chip when it
 * matters): CP2102/CP2102N share a VID:PID and the older CP2102 tops out at 921600; CH340 clones
 * lose bytes above 921600 on many boards; CH9102/CH343, FTDI and Espressif's native USB (where the
 * rate is nominal) take 2 Mbaud.
 */
const START_BAUD: Record<string, number> = {
  '10c4': 921600,
  '1a86:7523': 921600,
  '1a86:7522': 921600,
  '1a86:5523': 921600,
  '1a86:55d4': 2000000,
  '1a86:55d3': 2000000,
  '1a86:55d2': 2000000,
  '0403': 2000000,
  '067b': 460800,
  '303a': 2000000,
}

/** The rate flashing starts at for a port's bridge; an unknown bridge starts at 921600. */
export function startingBaud(
  vid: string | null | undefined,
  pid: string | null | undefined,
): number {
  if (!vid) return DEFAULT_FLASH_BAUD
  const v = usbId(vid)!
  return START_BAUD[`${v}:${usbId(pid) ?? ''}`] ?? START_BAUD[v] ?? DEFAULT_FLASH_BAUD
}
