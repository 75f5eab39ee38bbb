import { defineConfig } from 'vitest/config'

// Two projects: every suite on the data directory's SQLite registry, and the registry's own suites
// (the store, the CLI, the services on top of the store) again on PostgreSQL, a throwaway cluster
// on loopback started and stopped by postgres-setup.ts. What only SQLite has (its file, its lock,
// the legacy JSON import) and what crosses engines (registry copy) run once, in "sqlite"; several
// stations sharing one database, in "postgres".
const ON_BOTH = [
  'test/store/**/*.test.ts',
  'test/cli/**/*.test.ts',
  'test/devices/**/*.test.ts',
  'test/credentials/**/*.test.ts',
  'test/audit/**/*.test.ts',
  'test/site/**/*.test.ts',
  'test/verification/operations.test.ts',
  'test/export/**/*.test.ts',
]
const SQLITE_ONLY = [
  'test/store/store.test.ts',
  'test/store/legacy-import.test.ts',
  'test/store/write-lock.test.ts',
  'test/store/registry-key.test.ts',
  'test/store/postgres-registry.test.ts',
  'test/cli/registry-cli.test.ts',
]

// Several stations sharing one database: PostgreSQL's alone.
const POSTGRES_ONLY = ['test/stations/**/*.test.ts']

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Serial tests own real pseudo-terminals and child processes; two workers fit the 2-core machines.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'sqlite', include: ['test/**/*.test.ts'], exclude: POSTGRES_ONLY },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: [...ON_BOTH, ...POSTGRES_ONLY],
          exclude: SQLITE_ONLY,
          env: { FIELDFLASH_TEST_ENGINE: 'postgres' },
          globalSetup: ['test/helpers/postgres-setup.ts'],
        },
      },
    ],
  },
})
