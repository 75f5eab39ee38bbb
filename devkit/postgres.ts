import { randomBytes } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs'
import { chown, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { freePort } from './free-port'

// A real PostgreSQL server for the tests and benchmarks: a throwaway cluster (initdb) in a
// temporary folder, on a loopback port, started and stopped by its user; each test gets a database
// of its own. As root, the server runs as the `postgres` user, as Debian's package sets it up.

const INSTALL_HINT = 'PostgreSQL is not installed: apt-get install postgresql (.ci/run installs it)'

/** The server binaries of Debian's newest installed PostgreSQL. */
function serverBin(): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (versions.length === 0) throw new Error(INSTALL_HINT)
  return join(root, versions[0]!, 'bin')
}

export interface PostgresServer {
  port: number
  /** A new empty database on the server, as a connection URL. */
  database(): Promise<string>
  stop(): Promise<void>
}

/** Databases made by this process (with its pid, a database's name is unique on the cluster). */
let databases = 0

/**
 * A cluster already running on `port` on loopback (started by startPostgres, maybe in another
 * process: the tests' global setup): new empty databases on it.
 */
export function postgresAt(port: number): Pick<PostgresServer, 'port' | 'database'> {
  return {
    port,
    async database() {
      const name = `ff_test_${process.pid}_${++databases}_${randomBytes(3).toString('hex')}`
      const admin = new pg.Client({
        host: '127.0.0.1',
        port,
        user: 'postgres',
        database: 'postgres',
      })
      await admin.connect()
      try {
        await admin.query(`CREATE DATABASE ${name}`)
      } finally {
        await admin.end()
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`
    },
  }
}

/**
 * Starts a throwaway PostgreSQL cluster; fails with the install hint when there is none. With
 * `tls`, the server also speaks TLS with a certificate for localhost and 127.0.0.1 signed by a CA
 * made for the run (its certificate at `tls.caFile`). Without `durable` it skips fsync, as tests
 * need no durability.
 */
export async function startPostgres(
  options: { tls?: boolean; durable?: boolean } = {},
): Promise<PostgresServer & { caFile: string | null }> {
  const bin = serverBin()
  const dir = await mkdtemp(join(tmpdir(), 'fieldflash-pg-'))
  const asRoot = process.getuid?.() === 0
  const postgresUser = asRoot ? userIds('postgres') : null
  const caFile = options.tls ? makeCertificates(dir) : null
  if (postgresUser) {
    await chown(dir, postgresUser.uid, postgresUser.gid)
    if (caFile) {
      for (const file of ['server.crt', 'server.key']) {
        await chown(join(dir, file), postgresUser.uid, postgresUser.gid)
      }
    }
  }
  const run = (tool: string, args: string[]): void => {
    const command = asRoot ? 'runuser' : join(bin, tool)
    const argv = asRoot ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args
    const result = spawnSync(command, argv, { encoding: 'utf8', cwd: dir })
    if (result.error || result.status !== 0) {
      throw new Error(
        `${tool} failed: ${result.error?.message ?? result.stderr.trim()} (${INSTALL_HINT})`,
      )
    }
  }
  const data = join(dir, 'data')
  run('initdb', ['-D', data, '--auth=trust', '--username=postgres', '-E', 'UTF8', '--no-sync'])
  let port = 0
  for (let attempt = 0; ; attempt++) {
    port = await freePort()
    try {
      run('pg_ctl', [
        '-D',
        data,
        '-l',
        join(dir, 'server.log'),
        '-w',
        '-o',
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1` +
          // Tests need no durability; benchmarks compare with SQLite's synchronous=FULL commits.
          (options.durable ? '' : ' -c fsync=off') +
          (caFile
            ? ` -c ssl=on -c ssl_cert_file=${join(dir, 'server.crt')} -c ssl_key_file=${join(dir, 'server.key')}`
            : ''),
        'start',
      ])
      break
    } catch (error) {
      if (attempt >= 3) throw error
    }
  }
  return {
    ...postgresAt(port),
    caFile,
    async stop() {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      await rm(dir, { recursive: true, force: true })
    },
  }
}

function userIds(name: string): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' })
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' })
  if (uid.status !== 0 || gid.status !== 0) throw new Error(`no ${name} user: ${INSTALL_HINT}`)
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
}

/** A CA and a server certificate for localhost / 127.0.0.1 in `dir`, made with openssl. */
function makeCertificates(dir: string): string {
  const openssl = (args: string[]): void => {
    const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' })
    if (result.error || result.status !== 0) {
      throw new Error(
        `openssl failed: ${result.error?.message ?? result.stderr.trim()} (apt-get install openssl)`,
      )
    }
  }
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=FieldFlash test CA',
    ].concat([
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ]),
  )
  openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  ])
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
    ].concat(['-days', '2', '-out', 'server.crt', '-extfile', 'server.ext']),
  )
  chmodSync(join(dir, 'server.key'), 0o600)
  return join(dir, 'ca.crt')
}
