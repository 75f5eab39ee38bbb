import { z } from 'zod'
import { invalidInput } from '../shared/errors'
import type { OperationName, RequestOf } from './api-contract'

// Main trusts nothing the renderer sends: every payload is parsed here before an operation runs.
// Shapes and sizes only; the domain rules (UID format, host names, token states) live in the
// services, which report them with the field and the rule.

const text = (max: number) => z.string().max(max)
const uid = text(200)
/** A renderer-chosen id for a job or a session. */
const clientId = z.string().regex(/^[A-Za-z0-9-]{8,64}$/, 'must be 8–64 letters, digits or -')
const path = z.string().min(1, 'is required').max(4096)
const none = z.undefined()
/** A firmware the technician picked in main's dialog (main/ipc/handlers.ts keeps its path). */
const firmwareHandle = z.string().regex(/^fw-[0-9a-f]{16}$/, 'must be a handle from chooseFirmware')
const siteValue = z.union([text(2048), z.number()]).optional()

const siteDraft = z.strictObject({
  platformKey: siteValue,
  apiHost: siteValue,
  mqttHost: siteValue,
  mqttPort: siteValue,
  otaBaseUrl: siteValue,
  tokenLifetimeHours: siteValue,
  registrationLifetimeDays: siteValue,
  wifiMode: z.enum(['none', 'open', 'password']).optional(),
  wifiSsid: text(256).optional(),
  wifiPassword: text(256).optional(),
})
const byUid = z.strictObject({ uid })
const decision = {
  uid,
  operationId: text(64),
  approver: text(80).optional(),
}

/** One schema per operation; `satisfies` keeps them in step with the contract. */
export const REQUEST_SCHEMAS = {
  getAppInfo: none,
  getRegistry: none,
  setRegistryDatabase: z.strictObject({ url: text(2048).nullable() }),
  getSiteProfile: none,
  checkSiteProfile: siteDraft,
  saveSiteProfile: siteDraft,
  listBoards: none,
  listPorts: none,
  listDevices: z
    .strictObject({
      after: z.number().int().nonnegative().optional(),
      limit: z.number().int().min(1).max(1000).optional(),
      search: text(90).optional(),
      boardId: text(64).optional(),
      newestFirst: z.boolean().optional(),
    })
    .optional(),
  dataVersion: none,
  getDevice: byUid,
  checkDeviceUid: byUid,
  addDevice: z.strictObject({ uid: uid.optional(), boardId: text(64) }),
  downloadTemplate: byUid,
  regenerateToken: byUid,
  revokeToken: byUid,
  rotateMqttPassword: byUid,
  chooseFirmware: z.strictObject({ pick: z.enum(['folder', 'file']) }),
  checkFirmware: z.strictObject({ uid, firmware: firmwareHandle }),
  startFlash: z.strictObject({
    jobId: clientId,
    uid,
    portPath: path,
    firmware: firmwareHandle,
    baud: z.number().int().positive().optional(),
    erase: z.boolean().optional(),
    acceptTokenMismatch: z.boolean().optional(),
  }),
  cancelFlash: z.strictObject({ jobId: clientId }),
  listFirmware: z.strictObject({ boardId: text(64) }),
  importFirmware: z.strictObject({ boardId: text(64), pick: z.enum(['folder', 'file']) }),
  startProvision: z.strictObject({
    jobId: clientId,
    uid,
    portPath: path,
    firmwareId: z
      .string()
      .regex(/^[0-9a-f]{8,64}$/, 'must be hex digits of a SHA-256')
      .optional(),
    baud: z.number().int().positive().optional(),
  }),
  identifyBoard: z.strictObject({ portPath: path }),
  openMonitor: z.strictObject({
    sessionId: clientId,
    portPath: path,
    baud: z.number().int().positive().optional(),
    uid: uid.optional(),
  }),
  closeMonitor: z.strictObject({ sessionId: clientId }),
  resetBoard: z.strictObject({ sessionId: clientId }),
  // An approval always names its approver (the services check the name's rule).
  approveOperation: z.strictObject({ ...decision, approver: text(80) }),
  rejectOperation: z.strictObject({ ...decision, reason: text(500).optional() }),
  registerBoard: z.union([
    z.strictObject({ uid, sessionId: clientId }),
    z.strictObject({ uid, portPath: path }),
  ]),
  revokeRegistration: byUid,
  getExportState: none,
  exportForPlatform: z.strictObject({ changesOnly: z.boolean() }),
  readAuditLog: z.strictObject({ uid: uid.optional() }),
  startStation: z.strictObject({
    firmwareId: text(64),
    lot: text(4096),
    ports: z.union([z.literal('auto'), z.array(path).max(64)]),
    until: z.enum(['flashed', 'verified', 'approved']),
    approver: text(80).nullable().optional(),
    count: z.number().int().min(1).max(1_000_000).nullable().optional(),
  }),
  stopStation: z.strictObject({ abort: z.boolean() }),
  getStation: none,
  exportStationResults: none,
} satisfies { [K in OperationName]: z.ZodType<RequestOf<K>> }

/**
 * Parses an operation's payload; a bad one becomes `invalid_input` naming the field (its path in
 * the payload) and the rule, like every other validation error of the app.
 */
export function parseRequest<K extends OperationName>(
  operation: K,
  payload: unknown,
): RequestOf<K> {
  const parsed = (REQUEST_SCHEMAS[operation] as z.ZodType<RequestOf<K>>).safeParse(payload)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]!
  const field = issue.path.length > 0 ? issue.path.join('.') : 'request'
  const rule =
    issue.code === 'unrecognized_keys'
      ? `has unexpected fields (${issue.keys.join(', ')})`
      : issue.code === 'invalid_type'
        ? `must be ${issue.expected === 'undefined' ? 'left out' : `a ${issue.expected}`}`
        : issue.message
  throw invalidInput(field, rule)
}
