/** Size of Arduino-ESP32's boot_app0.bin: the whole 8 KiB otadata partition (two 4 KiB sectors). */
export const BOOT_APP0_LENGTH = 0x2000

/**
 * The content of Arduino-ESP32's `tools/partitions/boot_app0.bin`, which PlatformIO writes to the
 * otadata partition from the framework folder (so it is missing from `.pio/build/<env>`).
 *
 * It is an initial otadata that selects ota_0. ESP-IDF's esp_ota_select_entry_t
 * (bootloader_support/include/esp_flash_partitions.h) is 32 bytes: ota_seq u32, seq_label[20],
 * ota_state u32, crc u32; the second sector holds a second copy. boot_app0.bin writes one entry with
 * ota_seq = 1 (the bootloader boots app partition (ota_seq - 1) % count, i.e. ota_0), label and
 * state left erased (0xFF, state "undefined"), and crc = esp_rom_crc32_le(UINT32_MAX, &ota_seq, 4)
 * (bootloader_common_ota_select_crc); everything else is erased flash (0xFF). Public hex dumps of
 * the file show exactly `01 00 00 00`, 24 × `FF`, `9A 98 43 47`, then 0xFF to 0x2000.
 */
export function bootApp0Image(): Uint8Array {
  const image = new Uint8Array(BOOT_APP0_LENGTH).fill(0xff)
  const view = new DataView(image.buffer)
  const otaSeq = 1
  view.setUint32(0, otaSeq, true)
  view.setUint32(28, otaSelectCrc(otaSeq), true)
  return image
}

/** ESP-IDF's otadata entry CRC: the ROM's crc32_le seeded with UINT32_MAX over the 4 ota_seq bytes. */
export function otaSelectCrc(otaSeq: number): number {
  const bytes = new Uint8Array(4)
  new DataView(bytes.buffer).setUint32(0, otaSeq, true)
  // The ROM routine inverts the seed on entry and the result on exit, so a UINT32_MAX seed starts
  // the register at 0 — unlike zlib's crc32, which starts it at 0xFFFFFFFF.
  let crc = 0
  for (const byte of bytes) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return ~crc >>> 0
}
