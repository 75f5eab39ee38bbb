import { openedSecret } from '../store/sealed'
import { pbkdf2Sync, randomBytes } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { latestRegistration } from '../registration/registrations'
import { FieldFlashError, invalidInput } from '../shared/errors'
import type { DeviceRecord } from '../store/records'
import type { FieldFlashStore, StoreReader } from '../store/store'
import { writeFileAtomically } from '../shared/atomic-file'

// The files a site's Mosquitto broker needs to let the devices FieldFlash set up offline log in:
// a password file in Mosquitto's own hashed format (never a plaintext password) and an ACL file
// that lets each device's user read and write only under its own topic prefix (docs/protocol.md,
// "MQTT topics"). A device gets in once its board was approved, and is left out once its
// registration is revoked.

export const BROKER_FORMATS = ['mosquitto'] as const
export type BrokerFormat = (typeof BROKER_FORMATS)[number]

/** Mosquitto 2's PBKDF2-SHA512 password hash, as mosquitto_passwd writes it ($7$). */
const ITERATIONS = 101
const SALT_BYTES = 12
const HASH_BYTES = 64

/** The topic prefix of a device: all it may read and write. */
export function deviceTopicPrefix(uid: string): string {
  return `devices/${uid}/`
}

/** One line of a Mosquitto password file for `username` (`user:$7$iterations$salt$hash`). */
export function mosquittoPasswordLine(
  username: string,
  password: string,
  salt: Uint8Array = randomBytes(SALT_BYTES),
): string {
  const hash = pbkdf2Sync(password, salt, ITERATIONS, HASH_BYTES, 'sha512')
  return `${username}:$7$${ITERATIONS}$${Buffer.from(salt).toString('base64')}$${hash.toString('base64')}`
}

export interface BrokerExport {
  format: BrokerFormat
  passwordFile: string
  aclFile: string
  /** Devices that may log in. */
  devices: number
  /** Devices left out, and why. */
  leftOut: { uid: string; why: 'not approved' | 'registration revoked' }[]
}

/** Writes `passwd` and `acl` for the site's broker into `outDir`. */
export async function writeBrokerFiles(
  store: FieldFlashStore,
  request: { outDir: string; format?: string; now?: Date },
): Promise<BrokerExport> {
  const format = request.format ?? 'mosquitto'
  if (!(BROKER_FORMATS as readonly string[]).includes(format)) {
    throw invalidInput('format', `must be one of ${BROKER_FORMATS.join(', ')}`)
  }
  if (typeof request.outDir !== 'string' || request.outDir === '') {
    throw invalidInput('out', 'is required')
  }
  const now = request.now ?? new Date()
  const { admitted, leftOut } = await store.read((tx) => brokerDevices(tx))
  const header = `# Written by FieldFlash at ${now.toISOString()} for Mosquitto 2: ${admitted.length} device(s).`
  const passwd =
    admitted
      .map((d) =>
        mosquittoPasswordLine(
          d.mqtt.username,
          openedSecret(d.mqtt.password, `${d.uid}'s MQTT password`),
        ),
      )
      .join('\n') + (admitted.length > 0 ? '\n' : '')
  const acl = [
    header,
    `# Each device's user may read and write only under devices/<uid>/ (docs/protocol.md, "MQTT topics").`,
    ...admitted.flatMap((d) => [
      '',
      `user ${d.mqtt.username}`,
      `topic readwrite ${deviceTopicPrefix(d.uid)}#`,
    ]),
    '',
  ].join('\n')
  try {
    await mkdir(request.outDir, { recursive: true })
  } catch (error) {
    throw new FieldFlashError(
      'io_error',
      `Could not create ${request.outDir} (${(error as NodeJS.ErrnoException).code}).`,
      undefined,
      { cause: error },
    )
  }
  const passwordFile = join(request.outDir, 'passwd')
  const aclFile = join(request.outDir, 'acl')
  // Owner-only: Mosquitto warns about (and later versions refuse) files others can read; the
  // operator installs them for the broker's user (README, "Broker files").
  await writeFileAtomically(passwordFile, passwd, { mode: 0o600, field: 'out' })
  await writeFileAtomically(aclFile, acl, { mode: 0o600, field: 'out' })
  return { format: 'mosquitto', passwordFile, aclFile, devices: admitted.length, leftOut }
}

async function brokerDevices(tx: StoreReader): Promise<{
  admitted: DeviceRecord[]
  leftOut: BrokerExport['leftOut']
}> {
  const admitted: DeviceRecord[] = []
  const leftOut: BrokerExport['leftOut'] = []
  let after = 0
  for (;;) {
    const page = await tx.listDevices({ after, limit: 1000 })
    if (page.length === 0) break
    after = page.at(-1)!.seq
    for (const item of page) {
      const device = await tx.device(item.uid)
      if (!device) continue
      if (device.approvedAt === null) leftOut.push({ uid: device.uid, why: 'not approved' })
      else if (latestRegistration(device)?.state === 'revoked') {
        leftOut.push({ uid: device.uid, why: 'registration revoked' })
      } else admitted.push(device)
    }
  }
  return { admitted, leftOut }
}
