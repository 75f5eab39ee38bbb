import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'

// One direction of dependency in main/, lowest first: a folder imports only folders of lower
// layers (and its own). A back-edge fails the lint. test/layering.test.ts proves the rule bites.
export const LAYERS = [
  ['shared'],
  ['store'],
  ['boards', 'site', 'audit'],
  ['serial', 'provisioning'],
  ['devices', 'monitor', 'flash', 'config-partition', 'template'],
  ['verification', 'firmware-library'],
  ['provision'],
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
export const RENDERER_FEATURES = ['flow', 'console', 'devices', 'settings']

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
  ...layeringRules(),
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  ...rendererFeatureRules(),
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
