// Packet layout, command codes and error codes of the ESP serial loader protocol.
// Sources (facts, not code):
// - esptool docs, docs/en/advanced-topics/serial-protocol.rst: packet layout, commands, checksum
//   seed 0xEF, ROM error codes 0x05..0x0b, ROM status length (4 bytes on ESP32-family ROMs,
//   2 bytes on the ESP8266 ROM and on every stub), SYNC payload, READ_FLASH flow.
// - esptool flasher_stub/include/stub_flasher.h (error enum, via the docs' link): stub errors
//   0xC0..0xC9 and 0xFF; esptool-js issue #255 confirms 0xC9 (201) = "too much data".
// - node_modules/esptool-js/lib/esploader.js: the opcodes esptool-js 0.7.0 sends.

/** Command opcodes (request byte 1). */
export const Command = {
  FLASH_BEGIN: 0x02,
  FLASH_DATA: 0x03,
  FLASH_END: 0x04,
  MEM_BEGIN: 0x05,
  MEM_END: 0x06,
  MEM_DATA: 0x07,
  SYNC: 0x08,
  WRITE_REG: 0x09,
  READ_REG: 0x0a,
  SPI_SET_PARAMS: 0x0b,
  SPI_ATTACH: 0x0d,
  CHANGE_BAUDRATE: 0x0f,
  FLASH_DEFL_BEGIN: 0x10,
  FLASH_DEFL_DATA: 0x11,
  FLASH_DEFL_END: 0x12,
  SPI_FLASH_MD5: 0x13,
  GET_SECURITY_INFO: 0x14,
  ERASE_FLASH: 0xd0,
  ERASE_REGION: 0xd1,
  READ_FLASH: 0xd2,
  RUN_USER_CODE: 0xd3,
} as const

export type CommandName = keyof typeof Command

const namesByOpcode = new Map<number, CommandName>(
  Object.entries(Command).map(([name, op]) => [op, name as CommandName]),
)

/** The protocol name of an opcode, or `0xNN` for an unknown one. */
export function commandName(op: number): CommandName | `0x${string}` {
  return namesByOpcode.get(op) ?? `0x${op.toString(16).padStart(2, '0')}`
}

/** ROM loader error codes (second status byte). */
export const RomError = {
  INVALID_MESSAGE: 0x05,
  FAILED_TO_ACT: 0x06,
  INVALID_CRC: 0x07,
  FLASH_WRITE: 0x08,
  FLASH_READ: 0x09,
  READ_LENGTH: 0x0a,
  DEFLATE: 0x0b,
} as const

/** Flasher stub error codes (second status byte). */
export const StubError = {
  BAD_DATA_LEN: 0xc0,
  BAD_DATA_CHECKSUM: 0xc1,
  BAD_BLOCKSIZE: 0xc2,
  INVALID_COMMAND: 0xc3,
  FAILED_SPI_OP: 0xc4,
  FAILED_SPI_UNLOCK: 0xc5,
  NOT_IN_FLASH_MODE: 0xc6,
  INFLATE_ERROR: 0xc7,
  NOT_ENOUGH_DATA: 0xc8,
  TOO_MUCH_DATA: 0xc9,
  CMD_NOT_IMPLEMENTED: 0xff,
} as const

/** Seed of the XOR checksum over the payload of MEM_DATA / FLASH_DATA / FLASH_DEFL_DATA. */
export const CHECKSUM_SEED = 0xef

/** The 36-byte SYNC payload: 07 07 12 20 followed by 32 × 0x55. */
export const SYNC_PAYLOAD = Uint8Array.from([
  0x07,
  0x07,
  0x12,
  0x20,
  ...new Array<number>(32).fill(0x55),
])

/** The stub's only unsolicited packet, sent once it runs. */
export const STUB_GREETING = new TextEncoder().encode('OHAI')

/** A decoded request packet (direction 0x00). */
export interface RequestPacket {
  op: number
  /** The size field as sent; `data.length` is what actually arrived. */
  declaredSize: number
  checksum: number
  data: Uint8Array
}

/** Decodes a request frame, or returns undefined when it is not a request (too short, wrong direction). */
export function parseRequest(frame: Uint8Array): RequestPacket | undefined {
  if (frame.length < 8 || frame[0] !== 0x00) return undefined
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  return {
    op: view.getUint8(1),
    declaredSize: view.getUint16(2, true),
    checksum: view.getUint32(4, true),
    data: frame.subarray(8),
  }
}

/** Encodes a request packet (what a host sends), unframed. */
export function buildRequest(
  op: number,
  data: Uint8Array = new Uint8Array(0),
  checksum = 0,
): Uint8Array {
  const packet = new Uint8Array(8 + data.length)
  const view = new DataView(packet.buffer)
  view.setUint8(0, 0x00)
  view.setUint8(1, op)
  view.setUint16(2, data.length, true)
  view.setUint32(4, checksum >>> 0, true)
  packet.set(data, 8)
  return packet
}

/** Encodes a response packet: direction 0x01, opcode, size, value, data then status bytes. */
export function buildResponse(
  op: number,
  value: number,
  body: Uint8Array,
  status: Uint8Array,
): Uint8Array {
  const packet = new Uint8Array(8 + body.length + status.length)
  const view = new DataView(packet.buffer)
  view.setUint8(0, 0x01)
  view.setUint8(1, op)
  view.setUint16(2, body.length + status.length, true)
  view.setUint32(4, value >>> 0, true)
  packet.set(body, 8)
  packet.set(status, 8 + body.length)
  return packet
}

/** A decoded response packet (direction 0x01). */
export interface ResponsePacket {
  op: number
  value: number
  /** Data including the trailing status bytes. */
  data: Uint8Array
}

/** Decodes a response frame, or returns undefined when it is not a response. */
export function parseResponse(frame: Uint8Array): ResponsePacket | undefined {
  if (frame.length < 8 || frame[0] !== 0x01) return undefined
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  return { op: view.getUint8(1), value: view.getUint32(4, true), data: frame.subarray(8) }
}

/** XOR checksum of a data block, seeded with 0xEF. */
export function dataChecksum(data: Uint8Array): number {
  let state = CHECKSUM_SEED
  for (const byte of data) state ^= byte
  return state
}

/** Little-endian 32-bit words, as the loader's command payloads are built. */
export function words(...values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 4)
  const view = new DataView(bytes.buffer)
  values.forEach((value, index) => view.setUint32(index * 4, value >>> 0, true))
  return bytes
}

/** Reads the little-endian 32-bit word at `index`, or undefined when the payload is too short. */
export function wordAt(data: Uint8Array, index: number): number | undefined {
  const at = index * 4
  if (data.length < at + 4) return undefined
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(at, true)
}
