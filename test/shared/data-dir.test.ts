import { homedir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultDataDir } from '../../main/shared/data-dir'

describe('defaultDataDir', () => {
  it('takes FIELDFLASH_DATA_DIR first', () => {
    expect(defaultDataDir({ FIELDFLASH_DATA_DIR: '/srv/ff', XDG_CONFIG_HOME: '/x' }, 'linux')).toBe(
      '/srv/ff',
    )
  })

  it('lives under XDG_CONFIG_HOME on Linux, as Electron’s userData does', () => {
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/home/t/.cfg' }, 'linux')).toBe(
      '/home/t/.cfg/FieldFlash',
    )
  })

  it.each([[''], ['relative/config']])(
    'ignores an XDG_CONFIG_HOME of %j instead of writing under the current folder',
    (value) => {
      expect(defaultDataDir({ XDG_CONFIG_HOME: value }, 'linux')).toBe(
        join(homedir(), '.config', 'FieldFlash'),
      )
    },
  )

  it('ignores an empty APPDATA on Windows', () => {
    expect(defaultDataDir({ APPDATA: '' }, 'win32')).toBe(
      join(homedir(), 'AppData', 'Roaming', 'FieldFlash'),
    )
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\t\\AppData\\Roaming' }, 'win32')).toContain(
      'C:\\Users\\t\\AppData\\Roaming',
    )
  })
})
