/**
 * The provisioning token's prefix (docs/protocol.md): `ffpt` = FieldFlash provisioning token, so
 * secret scanners recognise it. Kept in the lowest layer, so redaction needs no other.
 */
export const TOKEN_PREFIX = 'ffpt_'
