import { randomBytes } from 'node:crypto'
const { readNvsPartition } = await import('../main/config-partition/nvs-read.ts')
let threw = 0, ok = 0
const kinds = new Map<string, number>()
for (let i = 0; i < 3000; i++) {
  const size = 0x3000 * (1 + (i % 3))
  const buf = new Uint8Array(size).fill(0xff)
  // random pages, some with valid-looking headers
  const junk = randomBytes(size)
  for (let j = 0; j < size; j++) if (Math.random() < 0.3) buf[j] = junk[j]!
  try { readNvsPartition(buf); ok++ } catch (e) { threw++; const k = (e as Error).constructor.name + ':' + String((e as Error).message).slice(0, 60); kinds.set(k, (kinds.get(k) ?? 0) + 1) }
}
console.log({ ok, threw }); console.log([...kinds].slice(0, 10))
