import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from './helpers/fixtures'

/** Lints `code` as if it were the file at `path` (nothing is written). */
async function lint(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: REPO_ROOT })
  const [result] = await eslint.lintText(code, { filePath: `${REPO_ROOT}/${path}` })
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)
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
