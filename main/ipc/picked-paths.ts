import { randomBytes } from 'node:crypto'
import { FieldFlashError } from '../shared/errors'

/**
 * Files the technician picked in main's own dialogs, by handle: the renderer names a handle, main
 * reads only a path it chose itself.
 */
export class PickedPaths {
  private readonly paths = new Map<string, string>()

  add(path: string): string {
    const handle = `fw-${randomBytes(8).toString('hex')}`
    this.paths.set(handle, path)
    return handle
  }

  path(handle: string): string {
    const path = this.paths.get(handle)
    if (path === undefined) {
      throw new FieldFlashError(
        'invalid_input',
        'firmware: choose the firmware again; FieldFlash only flashes what was picked in its own dialog',
        'firmware',
      )
    }
    return path
  }
}
