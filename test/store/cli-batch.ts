// Runs several `fieldflash` commands in one process, one after the other, and prints one JSON line
// per command ({ argv, code, out, err }): many processes can then hammer one data directory
// without paying the CLI's start-up for every command. Used by the concurrency and crash tests.
import { runCli } from '../../main/cli/cli'

const commands = JSON.parse(process.argv[2] ?? '[]') as string[][]
for (const argv of commands) {
  let out = ''
  let err = ''
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) })
  process.stdout.write(JSON.stringify({ argv, code, out, err }) + '\n')
}
