import { randomBytes } from 'node:crypto'

/**
 * Per-device MQTT credentials. The username is derived from the UID so a broker ACL can map it
 * back to the device (`dev-<uid>`: UIDs are already safe in MQTT usernames and client ids). The
 * password is 192 random bits, base64url, unique per device and never reused.
 */
export function mqttUsernameFor(uid: string): string {
  return `dev-${uid}`
}

/** A fresh MQTT password: 24 CSPRNG bytes as base64url (32 characters, no escaping needed in C). */
export function generateMqttPassword(random: (size: number) => Uint8Array = randomBytes): string {
  return Buffer.from(random(24)).toString('base64url')
}
