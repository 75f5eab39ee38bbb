import { startPostgres } from '../../devkit/postgres'

// Global setup of the "postgres" project (vitest.config.ts): one throwaway cluster for the run,
// its port handed to the test workers; each data directory gets a database of its own on it.

export default async function setup(): Promise<() => Promise<void>> {
  const server = await startPostgres()
  process.env.FIELDFLASH_TEST_PG_PORT = String(server.port)
  return () => server.stop()
}
