import { invalidInput } from '../shared/errors'

/**
 * Renders `value` as a C string literal whose bytes are exactly the value's UTF-8 bytes.
 * Printable ASCII stays readable; `"` and `\` are escaped; every `?` becomes `\?` so no `??x`
 * trigraph can form; every other byte (controls, non-ASCII) becomes a three-digit octal escape,
 * which, unlike `\x`, cannot swallow the digits that follow it. A NUL byte cannot survive in a C
 * string and ill-formed Unicode has no UTF-8 form, so both are rejected naming the field.
 */
export function cStringLiteral(field: string, value: string): string {
  const bytes = Buffer.from(value, 'utf8')
  // A lone surrogate turns into U+FFFD on encoding, so the round trip tells ill-formed text apart.
  if (bytes.toString('utf8') !== value) throw invalidInput(field, 'must be valid Unicode text')
  let out = '"'
  for (const byte of bytes) {
    if (byte === 0) throw invalidInput(field, 'must not contain a NUL character')
    if (byte === 0x22) out += '\\"'
    else if (byte === 0x5c) out += '\\\\'
    else if (byte === 0x3f) out += '\\?'
    else if (byte >= 0x20 && byte <= 0x7e) out += String.fromCharCode(byte)
    else out += '\\' + byte.toString(8).padStart(3, '0')
  }
  return out + '"'
}
