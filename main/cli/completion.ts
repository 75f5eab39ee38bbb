import { Argument, type Command, type Option } from 'commander'
import type { CliKit } from './cli-kit'

// Shell completion generated from the command tree itself, so it never drifts from the commands:
// the subcommands, the options of each, what an option's value is (a file, a folder, a board id,
// one of its choices) and what each argument is. The lookup functions are plain `case` statements
// that bash and zsh both run; each shell gets its own small driver.

type ValueKind = { kind: 'files' } | { kind: 'dirs' } | { kind: 'words'; words: string[] }

interface CommandTable {
  path: string
  subcommands: string[]
  options: string[]
  values: Map<string, ValueKind | null>
  argument: ValueKind | null
}

/** `completion bash|zsh`: prints the script; README and the help say how to load it. */
export function registerCompletionCommand(program: Command, kit: CliKit): void {
  const { io, action, context } = kit
  program
    .command('completion')
    .description('print a shell completion script for bash or zsh')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(['bash', 'zsh']))
    .addHelpText(
      'after',
      `
To load it in every new shell:
  bash: echo 'source <(fieldflash completion bash)' >> ~/.bashrc
  zsh:  echo 'source <(fieldflash completion zsh)' >> ~/.zshrc   (after compinit)`,
    )
    .action(
      action(async (cmd, shell: string) => {
        const boards = (await context(cmd).catalog()).list().map((b) => b.id)
        const tables = commandTables(program, boards)
        io.out(shell === 'zsh' ? zshScript(tables) : bashScript(tables))
      }),
    )
}

/** Every command path with what can follow it. */
function commandTables(program: Command, boards: string[]): CommandTable[] {
  const globals = program.options.filter((option) => option.long !== '--version')
  const tables: CommandTable[] = []
  const visit = (cmd: Command, path: string): void => {
    const options = cmd === program ? cmd.options : [...cmd.options, ...globals]
    const values = new Map<string, ValueKind | null>()
    for (const option of options) {
      if (option.long) values.set(option.long, valueKind(option, boards))
      if (option.short) values.set(option.short, valueKind(option, boards))
    }
    const visible = cmd.commands
    const first = cmd.registeredArguments[0]
    tables.push({
      path,
      subcommands: visible.map((sub) => sub.name()),
      options: [...new Set([...values.keys(), '--help'])].filter((flag) => flag.startsWith('--')),
      values,
      argument: first ? argumentKind(first.name(), first.argChoices) : null,
    })
    for (const sub of visible) visit(sub, path ? `${path} ${sub.name()}` : sub.name())
  }
  visit(program, '')
  return tables
}

function valueKind(option: Option, boards: string[]): ValueKind | null {
  if (!option.required && !option.optional) return null
  if (option.argChoices) return { kind: 'words', words: option.argChoices }
  if (option.long === '--board') return { kind: 'words', words: boards }
  const placeholder = /<([^>]+)>/.exec(option.flags)?.[1] ?? ''
  if (placeholder === 'dir') return { kind: 'dirs' }
  if (/path|file/.test(placeholder)) return { kind: 'files' }
  return { kind: 'words', words: [] }
}

function argumentKind(name: string, choices: string[] | undefined): ValueKind | null {
  if (choices) return { kind: 'words', words: choices }
  return /path|file/.test(name) ? { kind: 'files' } : null
}

function describeKind(kind: ValueKind | null): string {
  if (kind === null) return 'none'
  return kind.kind === 'words' ? `words ${kind.words.join(' ')}`.trimEnd() : kind.kind
}

/** The lookup functions both shells share: POSIX `case` over the command path. */
function lookupFunctions(tables: CommandTable[]): string {
  const caseOf = (fn: string, arms: [string, string][], args: string): string =>
    [
      `${fn}() {`,
      `  case "${args}" in`,
      ...arms.map(([pattern, value]) => `    ${pattern}) echo ${quote(value)} ;;`),
      '  esac',
      '}',
    ].join('\n')
  const valueArms: [string, string][] = []
  for (const table of tables) {
    for (const [flag, kind] of table.values) {
      valueArms.push([quote(`${table.path}|${flag}`), describeKind(kind)])
    }
  }
  return [
    caseOf(
      '__fieldflash_subcommands',
      tables
        .filter((t) => t.subcommands.length)
        .map((t) => [quote(t.path), t.subcommands.join(' ')]),
      '$1',
    ),
    caseOf(
      '__fieldflash_options',
      tables.map((t) => [quote(t.path), t.options.join(' ')]),
      '$1',
    ),
    // What an option's value is: none (a flag), files, dirs, or "words …".
    caseOf('__fieldflash_value', valueArms, '$1|$2'),
    caseOf(
      '__fieldflash_argument',
      tables.map((t) => [quote(t.path), describeKind(t.argument)]),
      '$1',
    ),
  ].join('\n\n')
}

/** Walks the words typed so far: the command path, and the kind of what the cursor is on. */
const WALK = `
  cmdpath=""
  i=$first
  while [ "$i" -lt "$current" ]; do
    w="\${line[$i]}"
    case "$w" in
      --*=*) ;;
      -*)
        kind=$(__fieldflash_value "$cmdpath" "$w")
        [ -n "$kind" ] && [ "$kind" != none ] && i=$((i + 1))
        ;;
      *)
        case " $(__fieldflash_subcommands "$cmdpath") " in
          *" $w "*) cmdpath="\${cmdpath:+$cmdpath }$w" ;;
        esac
        ;;
    esac
    i=$((i + 1))
  done
  prev="\${line[$((current - 1))]}"
  kind=""
  case "$prev" in
    -*) kind=$(__fieldflash_value "$cmdpath" "$prev") ;;
  esac
  if [ -z "$kind" ] || [ "$kind" = none ]; then
    case "$cur" in
      -*) kind="words $(__fieldflash_options "$cmdpath")" ;;
      *)
        subs=$(__fieldflash_subcommands "$cmdpath")
        if [ -n "$subs" ]; then kind="words $subs"; else kind=$(__fieldflash_argument "$cmdpath"); fi
        ;;
    esac
  fi`

function bashScript(tables: CommandTable[]): string {
  return `# fieldflash completion for bash: source <(fieldflash completion bash)
${lookupFunctions(tables)}

_fieldflash() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" first=1 current=$COMP_CWORD cmdpath i w prev kind subs
  local -a line=("\${COMP_WORDS[@]}")
${WALK}
  case "$kind" in
    files) COMPREPLY=($(compgen -f -- "$cur")) ;;
    dirs) COMPREPLY=($(compgen -d -- "$cur")) ;;
    words*) COMPREPLY=($(compgen -W "\${kind#words}" -- "$cur")) ;;
    *) COMPREPLY=() ;;
  esac
}
complete -o filenames -o bashdefault -F _fieldflash fieldflash
`
}

function zshScript(tables: CommandTable[]): string {
  return `#compdef fieldflash
# fieldflash completion for zsh: source <(fieldflash completion zsh), after compinit
${lookupFunctions(tables)}

_fieldflash() {
  local cur="\${words[CURRENT]}" first=2 current=$CURRENT cmdpath i w prev kind subs
  local -a line
  line=("\${words[@]}")
${WALK}
  case "$kind" in
    files) _files ;;
    dirs) _files -/ ;;
    words*) compadd -- \${=kind#words} ;;
  esac
}
compdef _fieldflash fieldflash
`
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}
