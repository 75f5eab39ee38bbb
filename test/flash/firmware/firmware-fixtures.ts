import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, expect } from 'vitest'
import type { Board } from '../../../main/boards/board-schema'
import { FirmwareError, type FirmwareErrorCode } from '../../../main/flash/firmware/firmware-errors'

export * from '../../../devkit/firmware-images'

const cleanups: string[] = []
afterEach(async () => {
  for (const dir of cleanups.splice(0)) await rm(dir, { recursive: true, force: true })
})

/** A fresh temporary directory, removed after the test. */
export async function tempDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), label))
  cleanups.push(dir)
  return dir
}

/**
 * A board from the catalog the app ships, read as plain JSON: BoardCatalog would validate it with
 * zod, whose import costs about half a second in every test file.
 */
export async function board(id: string): Promise<Board> {
  const file = resolve(import.meta.dirname, '../../../resources/boards', id, 'board.json')
  return JSON.parse(await readFile(file, 'utf8')) as Board
}

/** Expects `work` to fail with a FirmwareError of `code` whose message contains every `fragment`. */
export async function expectFirmwareError(
  work: Promise<unknown> | (() => unknown),
  code: FirmwareErrorCode,
  ...fragments: string[]
): Promise<FirmwareError> {
  let caught: unknown
  try {
    await (typeof work === 'function' ? work() : work)
  } catch (error) {
    caught = error
  }
  expect(caught, `expected a ${code} error`).toBeInstanceOf(FirmwareError)
  const error = caught as FirmwareError
  expect(error.firmwareCode).toBe(code)
  for (const fragment of fragments) expect(error.message).toContain(fragment)
  return error
}
