/** The rate every ESP ROM loader talks at after reset (40 MHz crystal). */
export const ROM_BAUD = 115200

/** Where a port of unknown make starts flashing. */
export const DEFAULT_FLASH_BAUD = 921600

/** The rates FieldFlash flashes at, fastest first: the app's choices, the CLI's, the fallback ladder. */
export const FLASH_BAUD_RATES = [2000000, 1500000, 921600, 460800, 230400, 115200] as const

export type FlashBaud = (typeof FLASH_BAUD_RATES)[number]

export function isFlashBaud(baud: number): baud is FlashBaud {
  return (FLASH_BAUD_RATES as readonly number[]).includes(baud)
}

/** The next rate down the ladder when a link does not hold `baud`, or null at the ROM's rate. */
export function nextLowerBaud(baud: number): FlashBaud | null {
  return FLASH_BAUD_RATES.find((rate) => rate < baud) ?? null
}
