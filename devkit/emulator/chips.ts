// Per-chip facts the emulator needs to be identified by esptool-js 0.7.0 the way a real board is.
// Every register address and bit position below is the one esptool-js reads; the file that reads
// it is named next to each fact (paths under node_modules/esptool-js/lib/). Boot banners are the
// texts real chips print, as quoted in public esptool / esp-idf issue logs (named per banner).

import { Command } from './protocol'

export type ChipName = 'ESP32' | 'ESP32-S3' | 'ESP32-C3' | 'ESP8266'

/** Silicon revision: ESP32 uses `major` 0..3 ("revision 3"); the others print `v<major>.<minor>`. */
export interface ChipRevision {
  major: number
  minor: number
}

/** What boots after reset: the ROM's UART download mode or the firmware in flash. */
export type BootKind = 'download' | 'flash'

/** Why the chip reset, as the ROM banner reports it. */
export type ResetCause = 'power-on' | 'usb-jtag-serial'

/** Absolute addresses of the SPI flash controller registers esptool-js drives for RDID. */
export interface SpiFlashRegisters {
  /** SPI_CMD_REG: writing bit 18 (SPI_CMD_USR) runs the user command; the bit reads 0 when done. */
  cmd: number
  /** SPI_USR2_REG: low bits hold the command opcode (0x9F = RDID). */
  usr2: number
  /** SPI_W0_REG: the data buffer the answer is read from. */
  w0: number
}

export interface ChipModel {
  name: ChipName
  /** Value read at CHIP_DETECT_MAGIC_REG_ADDR 0x40001000 (esploader.js, magic2Chip). */
  magicValue: number
  /** Chip id in GET_SECURITY_INFO; undefined when the ROM does not know the command. */
  securityInfoChipId?: number
  /** Status bytes after the data in ROM responses (serial-protocol.rst: 4 on ESP32-family ROMs, 2 on ESP8266). */
  romStatusLength: 2 | 4
  /** Opcodes the ROM loader implements; anything else gets the ROM's "invalid message" reply. */
  romCommands: ReadonlySet<number>
  /** Largest FLASH_DATA / FLASH_DEFL_DATA payload the ROM accepts. */
  romMaxFlashDataBlock: number
  /** Largest MEM_DATA payload the ROM accepts (esptool's ESP_RAM_BLOCK, 0x1800). */
  romMaxRamDataBlock: number
  spi: SpiFlashRegisters
  /** UART_CLKDIV_REG, read to estimate the crystal frequency (undefined: esptool-js never reads it). */
  uartClkdivReg?: number
  /** esptool-js divides the estimated crystal by this (XTAL_CLK_DIVIDER in the target file). */
  xtalClkDivider: number
  xtalMhz: number
  /** Where the second-stage bootloader lives in flash (BOOTLOADER_FLASH_OFFSET). */
  bootloaderFlashOffset: number
  /** Baud rate the ROM prints its boot banner at. */
  bootBannerBaud: number
  /** Whether the chip has the USB-Serial/JTAG peripheral (VID 0x303a, PID 0x1001). */
  hasUsbJtagSerial: boolean
  defaultMac: string
  defaultRevision: ChipRevision
  /** The text the ROM prints when it comes out of reset. */
  bootBanner(kind: BootKind, cause: ResetCause): string
  /** Register values esptool-js reads to describe the chip: MAC, revision, package, features. */
  identityRegisters(mac: Uint8Array, revision: ChipRevision): Map<number, number>
}

const c = Command
/** ESP8266 ROM: flash, RAM and register commands only (serial-protocol.rst, esp8266 variant). */
const ESP8266_ROM_COMMANDS = [
  c.FLASH_BEGIN,
  c.FLASH_DATA,
  c.FLASH_END,
  c.MEM_BEGIN,
  c.MEM_END,
  c.MEM_DATA,
  c.SYNC,
  c.WRITE_REG,
  c.READ_REG,
]
/** ESP32 ROM adds SPI config, baud change, compressed writes and MD5 (serial-protocol.rst). */
const ESP32_ROM_COMMANDS = [
  ...ESP8266_ROM_COMMANDS,
  c.SPI_SET_PARAMS,
  c.SPI_ATTACH,
  c.CHANGE_BAUDRATE,
  c.FLASH_DEFL_BEGIN,
  c.FLASH_DEFL_DATA,
  c.FLASH_DEFL_END,
  c.SPI_FLASH_MD5,
]
/** ESP32-S3 / ESP32-C3 ROMs also answer GET_SECURITY_INFO (esploader.js getSecurityInfo comment). */
const NEWER_ROM_COMMANDS = [...ESP32_ROM_COMMANDS, c.GET_SECURITY_INFO]

// esptool uses 0x400-byte blocks with every ROM (FLASH_WRITE_SIZE = 0x400 in targets/esp32.js,
// esp32s3.js, esp32c3.js, unused by esploader.js 0.7.0, which always sends 0x4000). A user of the
// ESP32-C3 ROM reports FLASH_DATA of 1024 bytes accepted and 2048+ rejected with error 0x05
// (esptool issue #860); the brief's measurement against a real ESP32 ROM saw 0x4000 rejected.
const ROM_MAX_FLASH_DATA_BLOCK = 0x400
const ROM_MAX_RAM_DATA_BLOCK = 0x1800

const bit = (n: number): number => (1 << n) >>> 0

/** MAC bytes 2..5, big-endian, as the low efuse word (readMac in every target file). */
const macLowWord = (mac: Uint8Array): number =>
  (((mac[2] ?? 0) << 24) | ((mac[3] ?? 0) << 16) | ((mac[4] ?? 0) << 8) | (mac[5] ?? 0)) >>> 0
/** MAC bytes 0..1 as the high efuse word. */
const macHighWord = (mac: Uint8Array): number => (((mac[0] ?? 0) << 8) | (mac[1] ?? 0)) >>> 0

const esp32: ChipModel = {
  name: 'ESP32',
  magicValue: 0x00f01d83,
  romStatusLength: 4,
  romCommands: new Set(ESP32_ROM_COMMANDS),
  romMaxFlashDataBlock: ROM_MAX_FLASH_DATA_BLOCK,
  romMaxRamDataBlock: ROM_MAX_RAM_DATA_BLOCK,
  // targets/esp32.js: SPI_REG_BASE 0x3ff42000, SPI_USR2_OFFS 0x24, SPI_W0_OFFS 0x80.
  spi: { cmd: 0x3ff42000, usr2: 0x3ff42024, w0: 0x3ff42080 },
  uartClkdivReg: 0x3ff40014, // targets/esp32.js UART_CLKDIV_REG
  xtalClkDivider: 1,
  xtalMhz: 40,
  bootloaderFlashOffset: 0x1000,
  bootBannerBaud: 115200,
  hasUsbJtagSerial: false,
  defaultMac: '24:0a:c4:12:34:56',
  defaultRevision: { major: 3, minor: 0 },
  // esptool-js PR #107 trace and arduino-esp32 #577 (download); esptool #698 (boot:0x13 flash boot).
  bootBanner: (kind) =>
    kind === 'download'
      ? 'ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\nwaiting for download\r\n'
      : 'ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n',
  identityRegisters(mac, revision) {
    // targets/esp32.js: efuse words at EFUSE_RD_REG_BASE 0x3ff5a000 + 4 * n.
    const efuse = (n: number): number => 0x3ff5a000 + 4 * n
    const rev = revision.major
    // word 3: package (bits 9..11) = 1 -> "ESP32-D0WD"; bit 13 = CPU frequency rated (240 MHz);
    // bit 15 = revision bit 0; bit 1 = BT disabled (0), bit 0 = single core (0).
    const word3 = (bit(9) | bit(13) | (rev >= 1 ? bit(15) : 0)) >>> 0
    return new Map([
      [efuse(1), macLowWord(mac)],
      [efuse(2), macHighWord(mac)],
      [efuse(3), word3],
      [efuse(4), (0x15 << 8) >>> 0], // ADC VRef calibrated -> "VRef calibration in efuse"
      [efuse(5), rev >= 2 ? bit(20) : 0], // revision bit 1
      [efuse(6), 0], // coding scheme None
      [0x3ff6607c, rev >= 3 ? bit(31) : 0], // APB_CTRL_DATE (DR_REG_SYSCON_BASE + 0x7c): revision bit 2
    ])
  },
}

/** EFUSE block-1 layout shared by ESP32-S3 and ESP32-C3 (targets/esp32s3.js, esp32c3.js). */
function block1Registers(
  block1: number,
  mac: Uint8Array,
  revision: ChipRevision,
): Map<number, number> {
  const minorLow = revision.minor & 0x7
  const minorHigh = (revision.minor >> 3) & 0x1
  return new Map([
    [block1 + 0x00, macLowWord(mac)], // MAC_EFUSE_REG
    [block1 + 0x04, macHighWord(mac)], // MAC_EFUSE_REG + 4 (low 16 bits)
    // word 3: package bits 21..23 = 0, minor revision low bits 18..20, BLK_VERSION_MINOR bits 24..26 = 1,
    // flash capacity bits 27..29 = 0 (no embedded flash).
    [block1 + 0x0c, ((minorLow << 18) | (1 << 24)) >>> 0],
    [block1 + 0x10, 0], // word 4: flash vendor, PSRAM: none
    // word 5: minor revision high bit 23, major revision bits 24..25.
    [block1 + 0x14, ((minorHigh << 23) | ((revision.major & 0x3) << 24)) >>> 0],
  ])
}

const esp32s3: ChipModel = {
  name: 'ESP32-S3',
  magicValue: 0x00000009,
  securityInfoChipId: 9, // targets/esp32s3.js IMAGE_CHIP_ID
  romStatusLength: 4,
  romCommands: new Set(NEWER_ROM_COMMANDS),
  romMaxFlashDataBlock: ROM_MAX_FLASH_DATA_BLOCK,
  romMaxRamDataBlock: ROM_MAX_RAM_DATA_BLOCK,
  // targets/esp32s3.js: SPI_REG_BASE 0x60002000, SPI_USR2_OFFS 0x20, SPI_W0_OFFS 0x58.
  spi: { cmd: 0x60002000, usr2: 0x60002020, w0: 0x60002058 },
  xtalClkDivider: 1,
  xtalMhz: 40,
  bootloaderFlashOffset: 0x0,
  bootBannerBaud: 115200,
  hasUsbJtagSerial: true,
  defaultMac: '34:85:18:ab:cd:ef',
  defaultRevision: { major: 0, minor: 2 },
  bootBanner: (kind, cause) =>
    'ESP-ROM:esp32s3-20210327\r\nBuild:Mar 27 2021\r\n' +
    `rst:${cause === 'usb-jtag-serial' ? '0x15 (USB_UART_CHIP_RESET)' : '0x1 (POWERON)'},` +
    (kind === 'download'
      ? 'boot:0x0 (DOWNLOAD(USB/UART0))\r\nwaiting for download\r\n'
      : 'boot:0x8 (SPI_FAST_FLASH_BOOT)\r\n'),
  identityRegisters(mac, revision) {
    const registers = block1Registers(0x60007044, mac, revision) // EFUSE_BASE 0x60007000 + 0x44
    registers.set(0x6000705c + 0x10, 1) // EFUSE_BLOCK2 word 4: BLK_VERSION_MAJOR = 1 (isEco0 check)
    registers.set(0x3fcef14c, 0) // UARTDEV_BUF_NO: UART0 (3 would mean USB-Serial/JTAG)
    return registers
  },
}

const esp32c3: ChipModel = {
  name: 'ESP32-C3',
  magicValue: 0x1b31506f, // one of the ESP32-C3 values in esploader.js magic2Chip (ECO3)
  securityInfoChipId: 5, // targets/esp32c3.js IMAGE_CHIP_ID
  romStatusLength: 4,
  romCommands: new Set(NEWER_ROM_COMMANDS),
  romMaxFlashDataBlock: ROM_MAX_FLASH_DATA_BLOCK,
  romMaxRamDataBlock: ROM_MAX_RAM_DATA_BLOCK,
  // targets/esp32c3.js: SPI_REG_BASE 0x60002000, SPI_USR2_OFFS 0x20, SPI_W0_OFFS 0x58.
  spi: { cmd: 0x60002000, usr2: 0x60002020, w0: 0x60002058 },
  xtalClkDivider: 1,
  xtalMhz: 40,
  bootloaderFlashOffset: 0x0,
  bootBannerBaud: 115200,
  hasUsbJtagSerial: true,
  defaultMac: '58:cf:79:01:23:45',
  defaultRevision: { major: 0, minor: 4 },
  // esptool #774 (download, boot:0x5), platformio-home #2926 (flash boot), esp-idf #11348 (rst:0x15).
  bootBanner: (kind, cause) =>
    'ESP-ROM:esp32c3-api1-20210207\r\nBuild:Feb  7 2021\r\n' +
    `rst:${cause === 'usb-jtag-serial' ? '0x15 (USB_UART_CHIP_RESET)' : '0x1 (POWERON)'},` +
    (kind === 'download'
      ? 'boot:0x5 (DOWNLOAD(USB/UART0/1))\r\nwaiting for download\r\n'
      : 'boot:0xc (SPI_FAST_FLASH_BOOT)\r\n'),
  identityRegisters: (mac, revision) => block1Registers(0x60008844, mac, revision), // EFUSE_BASE 0x60008800 + 0x44
}

const esp8266: ChipModel = {
  name: 'ESP8266',
  magicValue: 0xfff0c101, // targets/esp8266.js CHIP_DETECT_MAGIC_VALUE
  romStatusLength: 2,
  romCommands: new Set(ESP8266_ROM_COMMANDS),
  romMaxFlashDataBlock: ROM_MAX_FLASH_DATA_BLOCK,
  romMaxRamDataBlock: ROM_MAX_RAM_DATA_BLOCK,
  // targets/esp8266.js: SPI_REG_BASE 0x60000200, SPI_USR2_OFFS 0x24, SPI_W0_OFFS 0x40.
  spi: { cmd: 0x60000200, usr2: 0x60000224, w0: 0x60000240 },
  uartClkdivReg: 0x60000014, // targets/esp8266.js UART_CLKDIV_REG
  xtalClkDivider: 2,
  xtalMhz: 26,
  bootloaderFlashOffset: 0x0,
  // The ESP8266 ROM prints at 74880 baud with a 26 MHz crystal (serial-protocol.rst, esp8266).
  bootBannerBaud: 74880,
  hasUsbJtagSerial: false,
  defaultMac: '18:fe:34:aa:bb:cc',
  defaultRevision: { major: 0, minor: 0 },
  bootBanner: (kind) =>
    `\r\n ets Jan  8 2013,rst cause:1, boot mode:(${kind === 'download' ? 1 : 3},7)\r\n\r\n`,
  identityRegisters(mac) {
    // targets/esp8266.js readMac: efuse words at 0x3ff00050 + 4 * n; OUI from word 3 when non-zero.
    const efuse = (n: number): number => 0x3ff00050 + 4 * n
    return new Map([
      [efuse(0), ((mac[5] ?? 0) << 24) >>> 0], // bit 4 clear: not an ESP8285
      [efuse(1), (((mac[3] ?? 0) << 8) | (mac[4] ?? 0)) >>> 0],
      [efuse(2), 0], // bit 16 clear: not an ESP8285
      [efuse(3), (((mac[0] ?? 0) << 16) | ((mac[1] ?? 0) << 8) | (mac[2] ?? 0)) >>> 0],
    ])
  },
}

export const CHIPS: Readonly<Record<ChipName, ChipModel>> = {
  ESP32: esp32,
  'ESP32-S3': esp32s3,
  'ESP32-C3': esp32c3,
  ESP8266: esp8266,
}

/** Parses `aa:bb:cc:dd:ee:ff` into 6 bytes. */
export function parseMac(text: string): Uint8Array {
  const parts = text.split(':')
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new Error(`MAC must look like aa:bb:cc:dd:ee:ff, got ${JSON.stringify(text)}`)
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)))
}

/** The JEDEC id a SPI NOR flash of `size` bytes answers to RDID (0x9F): manufacturer, type, log2(size). */
export function jedecIdFor(size: number, manufacturer = 0xc8, memoryType = 0x40): number {
  const capacity = Math.round(Math.log2(size))
  return ((capacity << 16) | (memoryType << 8) | manufacturer) >>> 0
}
