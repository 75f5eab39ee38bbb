/**
 * The provisioning token's prefix (docs/protocol.md): `ffpt` = FieldFlash provisioning token, so
 * secret scanners recognise it. Kept in the lowest layer, so redaction needs no other.
 */
export const TOKEN_PREFIX = 'ffpt_'

/** The registration token's: the same format, `ffrt` = FieldFlash registration token. */
export const REGISTRATION_TOKEN_PREFIX = 'ffrt_'
