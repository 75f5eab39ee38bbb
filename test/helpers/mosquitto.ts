import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { until } from './wait'
import { freePort } from '../../devkit/free-port'

// A real Mosquitto broker on a loopback port, started and stopped by the test, and the Mosquitto
// command-line clients to talk to it as a device would.

const INSTALL_HINT =
  'Mosquitto is not installed: apt-get install mosquitto mosquitto-clients (.ci/run installs them)'

const BROKER = '/usr/sbin/mosquitto'

function requireTools(): void {
  for (const tool of [BROKER, 'mosquitto_pub', 'mosquitto_sub']) {
    const probe = spawnSync(tool, ['--help'], { stdio: 'ignore' })
    if (probe.error) throw new Error(`${INSTALL_HINT} (${tool}: ${probe.error.message})`)
  }
}

export interface Broker {
  port: number
  /** What the broker logged so far. */
  log(): string
  /** SIGHUP: Mosquitto reads its password and ACL files again; resolves once it has. */
  reload(): Promise<void>
  stop(): Promise<void>
}

/** Starts Mosquitto with `passwordFile` and `aclFile`, anonymous clients refused. */
export async function startMosquitto(
  dir: string,
  files: { passwordFile: string; aclFile: string },
): Promise<Broker> {
  requireTools()
  for (let attempt = 0; ; attempt++) {
    const port = await freePort()
    const conf = join(dir, `mosquitto-${port}.conf`)
    await writeFile(
      conf,
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous false',
        `password_file ${files.passwordFile}`,
        `acl_file ${files.aclFile}`,
        'persistence false',
        'log_dest stderr',
        'log_type all',
        // As root Mosquitto would switch to its own user, which cannot read the test's files.
        `user ${userInfo().username}`,
        '',
      ].join('\n'),
    )
    const child = spawn(BROKER, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
    let log = ''
    let exited = false
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()))
    child.on('exit', () => (exited = true))
    await until(() => exited || log.includes('running'))
    if (!exited) return brokerOf(child, port, () => log)
    // Another process took the port between our probe and the broker's bind: try another.
    if (attempt >= 5 || !log.includes('in use')) throw new Error(`mosquitto did not start:\n${log}`)
  }
}

function brokerOf(child: ChildProcess, port: number, log: () => string): Broker {
  return {
    port,
    log,
    async reload() {
      const before = log().split('Reloading config.').length
      child.kill('SIGHUP')
      // Mosquitto logs this and reloads in the same turn of its one loop: any connection it
      // accepts afterwards meets the new files.
      await until(() => log().split('Reloading config.').length > before)
    },
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    },
  }
}

export interface Credentials {
  username: string
  password: string
}

/** mosquitto_pub at QoS 1 (it waits for the broker's PUBACK): its exit code and error text. */
export function publish(
  broker: Broker,
  as: Credentials,
  topic: string,
  message: string,
): Promise<{ code: number; err: string }> {
  return new Promise((resolve) => {
    execFile(
      'mosquitto_pub',
      ['-h', '127.0.0.1', '-p', String(broker.port), '-u', as.username, '-P', as.password].concat([
        '-q',
        '1',
        '-t',
        topic,
        '-m',
        message,
      ]),
      (error, _stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, err: stderr }),
    )
  })
}

export interface Subscriber {
  /** `topic payload` of each message received. */
  messages: string[]
  stop(): Promise<void>
}

/** mosquitto_sub, resolved once the broker acknowledged its subscriptions. */
export async function subscribe(
  broker: Broker,
  as: Credentials,
  topics: string[],
): Promise<Subscriber> {
  // Line-buffered (coreutils' stdbuf): mosquitto_sub writes through stdio, block-buffered on a pipe.
  const child = spawn(
    'stdbuf',
    [
      '-oL',
      'mosquitto_sub',
      '-h',
      '127.0.0.1',
      '-p',
      String(broker.port),
      '-u',
      as.username,
      '-P',
      as.password,
    ]
      .concat(['-q', '1', '-v', '-d'])
      .concat(topics.flatMap((t) => ['-t', t])),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  let exited = false
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.on('exit', () => (exited = true))
  await until(() => exited || /^Subscribed \(mid: \d+\)/m.test(out))
  if (exited) throw new Error(`mosquitto_sub did not subscribe:\n${out}`)
  return {
    get messages() {
      return out.split('\n').filter((line) => line.startsWith('devices/'))
    },
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    },
  }
}
