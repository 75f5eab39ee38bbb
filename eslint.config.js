import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'

// One direction of dependency in main/, lowest first: a folder imports only folders of lower
// layers (and its own). A back-edge fails the lint. test/layering.test.ts proves the rule bites.
export const LAYERS = [
  ['shared'],
  ['store'],
  ['boards', 'site', 'audit', 'leases'],
  ['serial', 'credentials'],
  ['registration'],
  ['devices', 'monitor', 'flash', 'config-partition', 'template', 'export'],
  ['verification', 'firmware-library'],
  ['provision', 'identify'],
  ['session'],
  ['station'],
  ['ipc', 'cli'],
]

function layeringRules() {
  return LAYERS.flatMap((layer, index) => {
    const higher = LAYERS.slice(index + 1).flat()
    // Folders of the same layer stay apart too, so a layer's parts can be read on their own.
    return layer.map((folder) => {
      const forbidden = [...higher, ...layer.filter((other) => other !== folder)]
      return {
        files: [`main/${folder}/**/*.ts`],
        rules: {
          'no-restricted-imports': [
            'error',
            {
              patterns: [
                {
                  group: forbidden.map((name) => `**/${name}/*`),
                  message: `main/${folder} sits below these folders (layers in eslint.config.js): pass what it needs in instead of importing it.`,
                },
                { group: ['electron'], message: 'Only main/index.ts knows Electron.' },
              ],
            },
          ],
        },
      }
    })
  })
}

// The renderer's features stay apart: each may use the shared pieces (components/, hooks, format,
// errors, api) but not another feature's files. App.tsx composes them.
export const RENDERER_FEATURES = ['flow', 'console', 'devices', 'settings', 'station']

function rendererFeatureRules() {
  return RENDERER_FEATURES.map((feature) => ({
    files: [`renderer/src/${feature}/**/*.{ts,tsx}`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: RENDERER_FEATURES.filter((other) => other !== feature).map(
                (other) => `**/${other}/*`,
              ),
              message: `renderer/src/${feature} is a feature of its own: move what both need into components/.`,
            },
          ],
        },
      ],
    },
  }))
}

// Between the processes' folders. main/ is what ships in the app: it never leans on the test bench
// (devkit/), the tests or the renderer. The renderer runs in a sandboxed page: from main/ it takes
// types only (the IPC contract), and code it shares with main comes from common/, which runs in
// every process and so imports neither Node, Electron nor either side. A separate rule name, so
// the per-folder rules above stay in force beside these.
export const PROCESS_RULES = [
  {
    files: ['main/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/devkit/*', '**/test/*', '**/renderer/*', '**/preload/*'],
              message:
                'main/ ships in the app: it never imports the test bench, tests or another process. Pass what it needs in.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/main/*'],
              allowTypeImports: true,
              message:
                'The renderer takes only types from main/ (import type); code both sides share lives in common/.',
            },
            {
              group: ['**/devkit/*', '**/test/*'],
              message: 'The renderer never imports the test bench or tests.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['common/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/main/*', '**/renderer/*', '**/preload/*', '**/devkit/*', '**/test/*'],
              message: 'common/ runs in every process: it imports nothing of theirs.',
            },
            {
              group: ['node:*', 'electron', 'react', 'react-dom'],
              message: 'common/ runs in the sandboxed renderer too: plain TypeScript only.',
            },
          ],
        },
      ],
    },
  },
]

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'resources/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,js,mjs}'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // The registry is asynchronous (a PostgreSQL one is across the network): a promise left
    // unawaited is a write that may not have happened, or an error no one hears.
    files: ['main/**/*.ts', 'test/**/*.ts', 'devkit/**/*.ts', 'bench/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  ...layeringRules(),
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  ...rendererFeatureRules(),
  ...PROCESS_RULES,
  {
    // The bench (emulator, ptys, images) serves tests and benchmarks; neither it nor bench/ leans on
    // test/, and nothing in main/ leans on either.
    files: ['devkit/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/test/*'],
              message: 'test/ is for tests only; move what is shared into devkit/.',
            },
          ],
        },
      ],
    },
  },
)
