/** How long EN is held low: long enough for every ESP board's reset circuit (esptool uses 100 ms). */
const RESET_PULSE_MS = 100

/**
 * Resets a board into its firmware through the usual USB-UART auto-reset circuit: RTS pulls EN
 * low only while DTR is released, and DTR released keeps IO0 high, so the board boots the
 * firmware rather than the ROM loader. esptool-js 0.7.0's `after('hard_reset')` only releases RTS
 * and leaves DTR asserted, which keeps some boards in the loader. `setLines` sets both lines
 * together (a port that sets one at a time glitches IO0).
 */
export async function resetIntoFirmware(
  setLines: (lines: { dtr: boolean; rts: boolean }) => Promise<void>,
): Promise<void> {
  await setLines({ dtr: false, rts: true })
  await new Promise((resolve) => setTimeout(resolve, RESET_PULSE_MS))
  await setLines({ dtr: false, rts: false })
}
