import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from './helpers/fixtures'

/** Lints `code` as if it were the file at `path` (nothing is written). */
async function lint(path: string, code: string): Promise<string[]> {
  // A file that does not exist has no place in the TypeScript project: the rules that need types
  // (promises) stay out of this lint, the import rules under test need none.
  const eslint = new ESLint({
    cwd: REPO_ROOT,
    overrideConfig: {
      languageOptions: { parserOptions: { projectService: false } },
      rules: {
        '@typescript-eslint/no-floating-promises': 'off',
        '@typescript-eslint/await-thenable': 'off',
        '@typescript-eslint/no-misused-promises': 'off',
      },
    },
  })
  const [result] = await eslint.lintText(code, { filePath: `${REPO_ROOT}/${path}` })
  const fatal = result!.messages.find((m) => m.fatal)
  if (fatal) throw new Error(`${path} could not be linted: ${fatal.message}`)
  return result!.messages
    .filter(
      (m) =>
        m.ruleId === 'no-restricted-imports' ||
        m.ruleId === '@typescript-eslint/no-restricted-imports',
    )
    .map((m) => m.message)
}

describe('the layering of main/ (eslint.config.js)', () => {
  it.each([
    ['main/store/bad.ts', "import { addDevice } from '../devices/devices'\nvoid addDevice\n"],
    [
      'main/shared/bad.ts',
      "import { FieldFlashStore } from '../store/store'\nvoid FieldFlashStore\n",
    ],
    [
      'main/flash/firmware/bad.ts',
      "import { provisionBoard } from '../../provision/provision-board'\nvoid provisionBoard\n",
    ],
    ['main/devices/bad.ts', "import { flashBoard } from '../flash/flash-board'\nvoid flashBoard\n"],
    ['main/site/bad.ts', "import { app } from 'electron'\nvoid app\n"],
  ])(
    'fails the lint on a back-edge: %s',
    async (path, code) => {
      expect(await lint(path, code)).not.toEqual([])
    },
    60_000,
  )

  it('lets a folder import the layers below it', async () => {
    const code =
      "import { FieldFlashStore } from '../store/store'\nimport { invalidInput } from '../shared/errors'\nvoid FieldFlashStore\nvoid invalidInput\n"
    expect(await lint('main/devices/good.ts', code)).toEqual([])
  }, 60_000)
})

describe("the renderer's features (eslint.config.js)", () => {
  it('fails the lint when one feature imports another', async () => {
    const code = "import { Flow } from '../flow/Flow'\nvoid Flow\n"
    expect(await lint('renderer/src/console/Bad.tsx', code)).not.toEqual([])
  }, 60_000)

  it('lets a feature use the shared components', async () => {
    const code = "import { ConsoleView } from '../components/ConsoleView'\nvoid ConsoleView\n"
    expect(await lint('renderer/src/flow/Good.tsx', code)).toEqual([])
  }, 60_000)
})

describe('between the processes (eslint.config.js)', () => {
  it.each([
    [
      'main/flash/bad.ts',
      "import { RomLoaderEmulator } from '../../devkit/emulator/rom-loader-emulator'\nvoid RomLoaderEmulator\n",
    ],
    ['main/cli/bad.ts', "import { tempDir } from '../../test/helpers/fixtures'\nvoid tempDir\n"],
    ['main/index.ts', "import { api } from '../renderer/src/api'\nvoid api\n"],
    [
      'renderer/src/Bad.tsx',
      "import { flashBoard } from '../../main/flash/flash-board'\nvoid flashBoard\n",
    ],
    [
      'renderer/src/flow/Bad.tsx',
      "import { startPtyEmulator } from '../../../devkit/pty'\nvoid startPtyEmulator\n",
    ],
    ['common/bad.ts', "import { readFileSync } from 'node:fs'\nvoid readFileSync\n"],
    [
      'common/bad.ts',
      "import { FieldFlashStore } from '../main/store/store'\nvoid FieldFlashStore\n",
    ],
  ])(
    'fails the lint on %s importing across: %s',
    async (path, code) => {
      expect(await lint(path, code)).not.toEqual([])
    },
    60_000,
  )

  it('lets the renderer take types from main/ and code from common/', async () => {
    const code =
      "import type { FlashEvent } from '../../main/flash/flash-events'\nimport { FLASH_BAUD_RATES } from '../../common/baud-rates'\nexport type E = FlashEvent\nvoid FLASH_BAUD_RATES\n"
    expect(await lint('renderer/src/Good.tsx', code)).toEqual([])
  }, 60_000)

  it('lets main/ use common/', async () => {
    const code = "import { ROM_BAUD } from '../../common/baud-rates'\nvoid ROM_BAUD\n"
    expect(await lint('main/flash/good.ts', code)).toEqual([])
  }, 60_000)
})
