import { FieldFlashError, invalidInput } from '../shared/errors'
import { databaseTarget } from '../store/postgres'
import type { FieldFlashStore } from '../store/store'
import type { RegistryView } from './api-contract'
import type { RegistrySetting } from './api-services'

// Settings' registry: where the registry this window runs on is and whether it answers, and the
// shared PostgreSQL registry to open at the next start. The password never passes through here:
// it lives in ~/.pgpass (owner-only), where PostgreSQL clients (node-postgres too) look for it.

/** A choice kept in memory: what tests and a shell without preferences use. */
export function memoryRegistrySetting(url: string | null = null): RegistrySetting {
  let saved = url
  return {
    current: () => (saved === null ? null : { url: saved, from: 'settings' }),
    save: (next) => {
      saved = next
    },
  }
}

export function registryOperations(store: FieldFlashStore, setting: RegistrySetting) {
  const view = async (): Promise<RegistryView> => {
    const chosen = setting.current()
    const target = chosen && databaseTarget(chosen.url, 'url')
    const runningOn = store.engine === 'postgres' ? store.path : null
    return {
      state: await store.state(),
      database: target && { shown: target.shown, from: chosen.from },
      restartNeeded: (target?.shown ?? null) !== runningOn,
    }
  }
  return {
    getRegistry: view,
    setRegistryDatabase: async ({ url }: { url: string | null }): Promise<RegistryView> => {
      if (url !== null) {
        const trimmed = url.trim()
        databaseTarget(trimmed, 'url')
        if (new URL(trimmed).password) {
          throw invalidInput(
            'url',
            'must not carry a password: put it in ~/.pgpass (owner-only), where PostgreSQL clients look for it; FieldFlash keeps no password in its settings',
          )
        }
        url = trimmed
      }
      if (setting.current()?.from === 'environment') {
        throw new FieldFlashError(
          'invalid_state',
          'FIELDFLASH_DATABASE_URL chooses the registry of this installation; change it there (Settings cannot override it).',
        )
      }
      setting.save(url)
      return view()
    },
  }
}
