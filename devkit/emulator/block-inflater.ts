import { constants, createInflate, type Inflate } from 'node:zlib'

/**
 * Decompresses a zlib stream that arrives in FLASH_DEFL_DATA blocks, returning after each block
 * everything that block made decodable (the loaders inflate block by block as well).
 */
export class BlockInflater {
  private readonly inflate: Inflate
  private output: Buffer[] = []
  private failure: Error | undefined
  private ended = false

  constructor() {
    this.inflate = createInflate()
    this.inflate.on('data', (chunk: Buffer) => this.output.push(chunk))
    this.inflate.on('error', (error: Error) => {
      this.failure = error
    })
    this.inflate.on('end', () => {
      this.ended = true
    })
  }

  /** Feeds one compressed block; resolves with the bytes it decoded, rejects on corrupt data. */
  async push(block: Uint8Array): Promise<Uint8Array> {
    if (this.failure) throw this.failure
    if (this.ended) {
      if (block.length === 0) return new Uint8Array(0)
      throw new Error('compressed data continues after the end of the zlib stream')
    }
    await new Promise<void>((resolve) => {
      const settle = (): void => {
        this.inflate.off('error', settle)
        resolve()
      }
      this.inflate.once('error', settle)
      this.inflate.write(block)
      this.inflate.flush(constants.Z_SYNC_FLUSH, settle)
    })
    // 'data' events for the flushed output are emitted on the next turns of the event loop.
    await new Promise((resolve) => setImmediate(resolve))
    if (this.failure) throw this.failure
    const decoded = Buffer.concat(this.output)
    this.output = []
    return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength)
  }

  /** Releases the zlib stream. */
  close(): void {
    this.inflate.destroy()
  }
}
