import { BoardCatalog, resourcePaths } from '../main/boards/catalog'
import { regenerateToken } from '../main/credentials/tokens'
import { addDevice } from '../main/devices/devices'
import { PostgresStore } from '../main/store/pg-store'
import { databaseTarget } from '../main/store/postgres'
import { RESOURCES } from './stats'

// One process of a station in the shared-registry benchmark (shared-registry.ts): adds a device,
// mints its token, and again, until the time is up; prints what succeeded as JSON.

const [url, dataDir, prefix, seconds] = process.argv.slice(2) as [string, string, string, string]
const store = await PostgresStore.open(databaseTarget(url, 'database'), dataDir)
const catalog = await BoardCatalog.load(resourcePaths(RESOURCES))
const until = Date.now() + Number(seconds) * 1000
let adds = 0
let mints = 0
for (let n = 0; Date.now() < until; n++) {
  const uid = `${prefix}-${n}`
  await addDevice(store, catalog, { uid, boardId: 'esp32-devkitc' })
  adds++
  await regenerateToken(store, uid)
  mints++
}
await store.close()
process.stdout.write(JSON.stringify({ adds, mints }))
