import { homedir } from 'node:os'
import { join, posix, win32 } from 'node:path'

/** The folder name under the platform's per-user config location; the app's productName. */
export const APP_DIR_NAME = 'FieldFlash'

/**
 * The data directory shared by the app and the CLI: `FIELDFLASH_DATA_DIR` if set, otherwise the
 * per-user config folder Electron uses for an app named FieldFlash (its `userData` path). An empty
 * or relative XDG_CONFIG_HOME or APPDATA is ignored, as the XDG spec says, so the data never lands
 * in whatever folder the command was run from.
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform = process.platform,
): string {
  if (env.FIELDFLASH_DATA_DIR) return env.FIELDFLASH_DATA_DIR
  const isAbsolute = platform === 'win32' ? win32.isAbsolute : posix.isAbsolute
  const absolute = (value: string | undefined): string | null =>
    value && isAbsolute(value) ? value : null
  if (platform === 'win32')
    return join(absolute(env.APPDATA) ?? join(homedir(), 'AppData', 'Roaming'), APP_DIR_NAME)
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_DIR_NAME)
  return join(absolute(env.XDG_CONFIG_HOME) ?? join(homedir(), '.config'), APP_DIR_NAME)
}
