import fc from 'fast-check'
import { Transport } from 'esptool-js'
import { describe, expect, it } from 'vitest'
import { LinearTransport } from '../../main/flash/linear-transport'

// The SLIP reader FieldFlash uses instead of esptool-js's quadratic one must read exactly what
// esptool-js reads: the same packets, in the same order, and the same error at the end.

type Reader = { read(timeout: number): Promise<Uint8Array> }

/** Every packet `transport` reads from `stream`, then the error that ends the reading. */
async function readAll(transport: Reader, stream: Uint8Array): Promise<[number[][], string]> {
  ;(transport as unknown as { buffer: Uint8Array }).buffer = stream
  const packets: number[][] = []
  for (;;) {
    try {
      packets.push([...(await transport.read(5))])
    } catch (error) {
      return [packets, (error as Error).message]
    }
  }
}

const port = {} as ConstructorParameters<typeof Transport>[0]

/** A byte stream made of SLIP framing, escapes and data, valid or not. */
const stream = fc
  .array(
    fc.oneof(
      { weight: 5, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 64 }) },
      { weight: 2, arbitrary: fc.constantFrom([0xc0], [0xdb, 0xdc], [0xdb, 0xdd], [0xdb, 0x01]) },
      { weight: 3, arbitrary: fc.uint8Array({ maxLength: 16 }).map((b) => [0xc0, ...b, 0xc0]) },
    ),
    { maxLength: 20 },
  )
  .map((parts) => Uint8Array.from(parts.flatMap((p) => [...p])))

describe('the linear SLIP reader', () => {
  it('reads what esptool-js reads, packet for packet and error for error', async () => {
    await fc.assert(
      fc.asyncProperty(stream, async (bytes) => {
        const ours = await readAll(new LinearTransport(port, false), bytes)
        const theirs = await readAll(new Transport(port, false), bytes)
        expect(ours).toEqual(theirs)
      }),
      { numRuns: 300 },
    )
  })

  it('reads a 4 KiB packet full of escapes whole', async () => {
    const data = Uint8Array.from({ length: 4096 }, (_, i) => [0xc0, 0xdb, i & 0xff][i % 3]!)
    const escaped = [...data].flatMap((b) =>
      b === 0xc0 ? [0xdb, 0xdc] : b === 0xdb ? [0xdb, 0xdd] : [b],
    )
    const [packets] = await readAll(
      new LinearTransport(port, false),
      Uint8Array.from([0xc0, ...escaped, 0xc0]),
    )
    expect(packets).toEqual([[...data]])
  })
})
