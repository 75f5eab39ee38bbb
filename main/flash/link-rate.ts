import type { ESPLoader } from 'esptool-js'
import { FieldFlashError } from '../shared/errors'
import { nextLowerBaud, ROM_BAUD } from '../../common/baud-rates'
import type { BeforeMode } from './flash-events'

export interface LinkRateOptions {
  before: BeforeMode
  warn: (message: string) => void
  /** Races each step against cancellation and device loss. */
  step: <T>(work: Promise<T>) => Promise<T>
}

/**
 * The serial link's rate while the flasher stub runs: raised once after the stub starts, and
 * lowered a step whenever the link does not hold it. esptool-js's own `changeBaud` drops straight to
 * 115200 through a `default_reset` whatever the port; this walks down the ladder one rate at a time,
 * keeps the running stub when it still answers, and says every step.
 */
export class LinkRate {
  /** The rate both ends use now. */
  baud = ROM_BAUD

  constructor(
    private readonly loader: ESPLoader,
    private readonly options: LinkRateOptions,
  ) {}

  get canStepDown(): boolean {
    return nextLowerBaud(this.baud) !== null
  }

  /** Raises the link to `target`, or to the fastest rate below it that holds; answers the rate. */
  async raiseTo(target: number): Promise<number> {
    let rate: number | null = target
    while (rate !== null && rate > this.baud) {
      if (await this.switchTo(rate)) return rate
      const lower = nextLowerBaud(rate)
      this.options.warn(
        `The link did not hold ${rate} baud; resetting the board and trying ${lower ?? ROM_BAUD} baud.`,
      )
      await this.restartStub(rate)
      rate = lower
    }
    return this.baud
  }

  /**
   * Continues one rate lower after `failure` at the current rate: in place when the stub still
   * answers, otherwise through a reset into the ROM loader and a fresh stub.
   */
  async stepDown(failure: string): Promise<void> {
    const from = this.baud
    const lower = nextLowerBaud(from)
    if (lower === null) throw new Error(`no rate below ${from}`)
    this.loader.transport.flushInput()
    if ((await this.answers()) && (await this.switchTo(lower))) {
      this.options.warn(`${failure} at ${from} baud; continuing at ${lower} baud.`)
      return
    }
    this.options.warn(
      `${failure} at ${from} baud and the board stopped answering; resetting it and continuing at ${lower} baud or below.`,
    )
    await this.restartStub(from)
    await this.raiseTo(lower)
  }

  /** Asks the stub for `rate`, follows on the host side, and answers whether the board still replies. */
  private async switchTo(rate: number): Promise<boolean> {
    const { loader, options } = this
    // Like esptool.py: the stub takes the new rate and the current one (the ROM takes 0).
    const args = new Uint8Array(8)
    const view = new DataView(args.buffer)
    view.setUint32(0, rate, true)
    view.setUint32(4, loader.IS_STUB ? this.baud : 0, true)
    try {
      await options.step(loader.command(loader.ESP_CHANGE_BAUDRATE, args))
    } catch (error) {
      if (error instanceof FieldFlashError) throw error
      return false
    }
    // The board switches once its answer has left at the old rate; give the UART that moment.
    await options.step(new Promise((resolve) => setTimeout(resolve, 50)))
    await options.step(loader.transport.changeBaudrate(rate))
    this.baud = rate
    await options.step(loader.transport.drainInput())
    return this.answers()
  }

  /** Whether the board answers a register read at the current rate (two tries, 0.5 s each). */
  private async answers(): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.options.step(this.loader.readReg(this.loader.CHIP_DETECT_MAGIC_REG_ADDR, 500))
        return true
      } catch (error) {
        if (error instanceof FieldFlashError) throw error
        this.loader.transport.flushInput()
      }
    }
    return false
  }

  /** Resets the board into its ROM loader and starts a fresh stub at the ROM's rate. */
  private async restartStub(failedRate: number): Promise<void> {
    const { loader, options } = this
    if (options.before === 'no_reset') {
      throw new FieldFlashError(
        'link_failed',
        `The link did not hold ${failedRate} baud, and FieldFlash may not reset this board (no_reset). Put it in download mode by hand (hold BOOT, tap EN, release BOOT) and flash again at a lower baud rate.`,
      )
    }
    await options.step(loader.transport.disconnect())
    loader.IS_STUB = false
    this.baud = ROM_BAUD
    await options.step(loader.connect(options.before, 5, false))
    await options.step(loader.runStub())
    if (!loader.IS_STUB) {
      throw new FieldFlashError(
        'link_failed',
        `The flasher stub did not start again after the link failed at ${failedRate} baud. Flash again at a lower baud rate.`,
      )
    }
  }
}
