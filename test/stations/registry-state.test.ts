import { afterEach, describe, expect, it } from 'vitest'
import { startPostgres } from '../../devkit/postgres'
import { createApi, type MainApi } from '../../main/ipc/handlers'
import { memoryRegistrySetting } from '../../main/ipc/registry-setting'
import { PostgresStore } from '../../main/store/pg-store'
import { databaseTarget } from '../../main/store/postgres'
import { loadCatalog, tempDir } from '../helpers/fixtures'

// What the app's Settings show of a shared registry: where it is, this station, whether it answers
// (and over TLS), and what is wrong when it does not, through the same IPC the window uses.

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function appOn(store: PostgresStore, url: string): Promise<MainApi> {
  const api = createApi(
    {
      store,
      catalog: await loadCatalog(),
      version: 'test',
      dialogs: {
        chooseTemplateFolder: async () => null,
        chooseFirmware: async () => null,
        chooseExportFile: async () => null,
        chooseResultsFile: async () => null,
      },
      listPorts: async () => [],
      log: () => undefined,
      registrySetting: memoryRegistrySetting(url),
    },
    () => undefined,
  )
  cleanups.push(() => api.dispose())
  return api
}

describe("the app's view of a shared registry", () => {
  it('shows it connected, then unreachable when its server goes away, without its password', async () => {
    const server = await startPostgres()
    let stopped = false
    cleanups.push(async () => {
      if (!stopped) await server.stop()
    })
    const url = (await server.database()).replace('postgres@', 'postgres:s3cret@')
    const dataDir = await tempDir()
    const store = await PostgresStore.open(databaseTarget(url, 'database'), dataDir)
    cleanups.push(() => store.close())
    const api = await appOn(store, url)

    const connected = await api.handlers.getRegistry(undefined)
    expect(connected).toMatchObject({
      ok: true,
      value: {
        state: { engine: 'postgres', reachable: true, tls: false, problem: null },
        database: { from: 'settings' },
        restartNeeded: false,
      },
    })
    expect(JSON.stringify(connected)).not.toContain('s3cret')

    await server.stop()
    stopped = true
    const gone = await api.handlers.getRegistry(undefined)
    expect(gone).toMatchObject({
      ok: true,
      value: { state: { engine: 'postgres', reachable: false, tls: null } },
    })
    expect(gone.ok && gone.value.state.problem).toMatch(/Cannot use the registry database/)
    expect(JSON.stringify(gone)).not.toContain('s3cret')
    // Every operation fails closed, saying so.
    const added = await api.handlers.addDevice({ boardId: 'esp32-devkitc' })
    expect(added).toMatchObject({ ok: false, code: 'store_unreachable' })
  }, 60_000)
})
