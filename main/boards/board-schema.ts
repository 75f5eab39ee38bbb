import { z } from 'zod'

// No Node imports here: the renderer sees these types through the IPC contract.

const hexOffset = z.string().regex(/^0x[0-9a-f]+$/, 'must be a lowercase hex offset like 0x1000')
const usbId = z.string().regex(/^[0-9a-f]{4}$/, 'must be 4 lowercase hex digits')

/** The schema of resources/boards/<id>/board.json (documented in resources/boards/README.md). */
export const boardSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]{2,64}$/),
  name: z.string().min(1),
  variantOf: z.string().nullable(),
  description: z.string(),
  chipFamily: z.enum([
    'ESP32',
    'ESP32-S2',
    'ESP32-S3',
    'ESP32-C2',
    'ESP32-C3',
    'ESP32-C6',
    'ESP32-H2',
    'ESP8266',
  ]),
  flash: z.object({
    size: z.string().regex(/^\d+MB$/),
    mode: z.enum(['qio', 'qout', 'dio', 'dout']),
    freq: z.string().regex(/^\d+m$/),
  }),
  psram: z.string().nullable(),
  offsets: z.object({
    bootloader: hexOffset.nullable(),
    partitions: hexOffset.nullable(),
    bootApp0: hexOffset.nullable(),
    app: hexOffset,
  }),
  usb: z.array(z.object({ vid: usbId, pid: usbId, bridge: z.string().min(1) })),
  platformio: z.object({
    env: z.string().min(1),
    board: z.string().min(1),
    platform: z.string().min(1),
    framework: z.string().min(1),
  }),
  baud: z.object({ monitor: z.number().int().positive(), upload: z.number().int().positive() }),
  docsUrl: z.string().optional(),
  // Whether the board can be registered over the cable with no network (docs/protocol.md): its
  // firmware needs storage of its own for the registration token. Absent: it can.
  offlineRegistration: z
    .object({ supported: z.boolean(), why: z.string().min(1).nullable() })
    .refine((r) => r.supported || r.why !== null, {
      message: 'must say why (why) when it is not supported',
    })
    .default({ supported: true, why: null }),
})

export type Board = z.output<typeof boardSchema>
