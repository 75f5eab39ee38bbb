import { FieldFlashError } from '../shared/errors'
import type { DeviceValues } from '../credentials/device-values'
import { generateNvsPartition, NVS_MIN_SIZE, NVS_PAGE_SIZE, type NvsEntry } from './nvs-partition'

/** The partition's name in a firmware's partition table, and the NVS namespace inside it. */
export const CONFIG_PARTITION_NAME = 'ffcfg'
export const CONFIG_NAMESPACE = 'fieldflash'
/** The size the templates' partition tables give `ffcfg`: three pages (two data, one reserved). */
export const DEFAULT_CONFIG_PARTITION_SIZE = NVS_MIN_SIZE

/** The keys, in the order they are written, with the field each comes from. */
const KEYS: readonly [key: string, field: keyof DeviceValues][] = [
  ['uid', 'deviceUid'],
  ['platform_key', 'platformKey'],
  ['mqtt_host', 'mqttHost'],
  ['mqtt_port', 'mqttPort'],
  ['mqtt_user', 'mqttUsername'],
  ['mqtt_pass', 'mqttPassword'],
  ['ota_base_url', 'otaBaseUrl'],
  ['api_host', 'apiHost'],
  ['prov_token', 'provisioningToken'],
]

/** The NVS entries of a device's config partition, in protocol order. */
export function configEntries(values: DeviceValues): NvsEntry[] {
  const entries: NvsEntry[] = [{ kind: 'namespace', name: CONFIG_NAMESPACE }]
  for (const [key, field] of KEYS) {
    entries.push(
      field === 'mqttPort'
        ? { kind: 'integer', key, type: 'u16', value: values.mqttPort }
        : { kind: 'string', key, value: values[field] as string },
    )
  }
  if (values.wifi) {
    entries.push({ kind: 'string', key: 'wifi_ssid', value: values.wifi.ssid })
    entries.push({ kind: 'string', key: 'wifi_pass', value: values.wifi.password })
  }
  return entries
}

const FIELD_OF_KEY: Record<string, string> = {
  ...Object.fromEntries(KEYS),
  wifi_ssid: 'wifiSsid',
  wifi_pass: 'wifiPassword',
}

/**
 * The `ffcfg` partition image of `size` bytes for one device: ESP-IDF NVS, byte for byte what
 * Espressif's generator writes for the same values. A value that cannot be stored, or a partition
 * too small for them, is refused naming the field. The image holds secrets: keep it in memory.
 */
export function buildConfigPartition(
  values: DeviceValues,
  size: number = DEFAULT_CONFIG_PARTITION_SIZE,
): Buffer {
  try {
    return generateNvsPartition(configEntries(values), size)
  } catch (error) {
    if (!(error instanceof FieldFlashError) || error.field === undefined) throw error
    const field = FIELD_OF_KEY[error.field] ?? error.field
    // Never echo a value: the message names the field and the rule only.
    const rule = error.message.slice(error.field.length + 2)
    throw new FieldFlashError('invalid_input', `${field}: ${rule}`, field)
  }
}

/** The largest flash an ESP32-family chip addresses (ESP32-S3, 128 MiB): no partition is larger. */
const MAX_PARTITION_SIZE = 0x8000000

/** Parses a partition size given as hex (0x3000) or decimal bytes; the rules of NVS apply. */
export function parsePartitionSize(text: string): number {
  const size = /^0x[0-9a-f]+$/i.test(text)
    ? parseInt(text, 16)
    : /^\d+$/.test(text)
      ? Number(text)
      : NaN
  if (
    !Number.isSafeInteger(size) ||
    size < NVS_MIN_SIZE ||
    size > MAX_PARTITION_SIZE ||
    size % NVS_PAGE_SIZE !== 0
  ) {
    throw new FieldFlashError(
      'invalid_input',
      `size: must be a multiple of 0x1000 bytes from 0x${NVS_MIN_SIZE.toString(16)} to 0x${MAX_PARTITION_SIZE.toString(16)}, such as 0x3000`,
      'size',
    )
  }
  return size
}
