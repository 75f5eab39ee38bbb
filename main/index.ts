import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  session,
  shell,
  type IpcMainInvokeEvent,
} from 'electron'
import ElectronStore from 'electron-store'
import { BoardCatalog, resourcePaths } from './boards/catalog'
import { EVENT_CHANNELS, OPERATIONS, operationChannel } from './ipc/api-contract'
import { createApi, type Dialogs, type MainApi } from './ipc/handlers'
import type { RegistrySetting } from './ipc/api-services'
import { databaseTarget } from './store/postgres'
import { defaultDataDir } from './shared/data-dir'
import { openDataDirectory } from './credentials/credential-files'

// The Electron shell stays thin: it opens a locked-down window and wires IPC to the services in
// main/, which run (and are tested) under plain Node. Nothing else here knows about features.

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/**
 * The app's own preferences (window size and position), in `preferences.json` beside the
 * registry. Devices, tokens and the audit log live in the SQLite registry, shared with the CLI.
 */
interface Preferences {
  window: { width: number; height: number; x?: number; y?: number; maximized: boolean }
  /** The shared PostgreSQL registry chosen in Settings (no password: that is in ~/.pgpass). */
  databaseUrl?: string
}
const preferences = (): ElectronStore<Preferences> =>
  new ElectronStore<Preferences>({
    name: 'preferences',
    cwd: defaultDataDir(),
    configFileMode: 0o600,
    defaults: { window: { width: 1280, height: 800, maximized: false } },
  })

function resourcesDir(): string {
  return app.isPackaged
    ? join(process.resourcesPath, 'resources')
    : join(app.getAppPath(), 'resources')
}

const rendererFile = (): string => join(import.meta.dirname, '../renderer/index.html')

/** Where the renderer is loaded from: the dev server in development, the bundled file otherwise. */
function rendererUrl(): URL {
  return process.env.ELECTRON_RENDERER_URL && !app.isPackaged
    ? new URL(process.env.ELECTRON_RENDERER_URL)
    : pathToFileURL(rendererFile())
}

/** True when a URL belongs to the app's own renderer (and nothing else may talk to main). */
function isAppUrl(url: string): boolean {
  const expected = rendererUrl()
  try {
    const actual = new URL(url)
    return expected.protocol === 'file:'
      ? actual.protocol === 'file:' && actual.pathname === expected.pathname
      : actual.origin === expected.origin
  } catch {
    return false
  }
}

function electronDialogs(window: () => BrowserWindow | null): Dialogs {
  const open = async (options: Electron.OpenDialogOptions): Promise<string | null> => {
    const owner = window()
    const result = owner
      ? await dialog.showOpenDialog(owner, options)
      : await dialog.showOpenDialog(options)
    return result.canceled ? null : (result.filePaths[0] ?? null)
  }
  const save = async (options: Electron.SaveDialogOptions): Promise<string | null> => {
    const owner = window()
    const result = owner
      ? await dialog.showSaveDialog(owner, options)
      : await dialog.showSaveDialog(options)
    return result.canceled || !result.filePath ? null : result.filePath
  }
  return {
    chooseTemplateFolder: (uid) =>
      open({
        title: `Save the template of ${uid} to…`,
        buttonLabel: 'Save ZIP here',
        properties: ['openDirectory', 'createDirectory'],
      }),
    chooseFirmware: (pick) =>
      open(
        pick === 'folder'
          ? {
              title: 'Choose the firmware build folder',
              buttonLabel: 'Use this build',
              properties: ['openDirectory'],
            }
          : {
              title: 'Choose the firmware file',
              buttonLabel: 'Use this file',
              properties: ['openFile'],
              filters: [{ name: 'Firmware', extensions: ['bin', 'json'] }],
            },
      ),
    chooseExportFile: (defaultName) =>
      save({
        title: 'Save the export for the platform',
        buttonLabel: 'Export here',
        defaultPath: defaultName,
        filters: [{ name: 'FieldFlash export (JSON lines)', extensions: ['jsonl'] }],
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      }),
    chooseResultsFile: (defaultName) =>
      save({
        title: "Save the station's results",
        buttonLabel: 'Save here',
        defaultPath: defaultName,
        filters: [{ name: 'CSV', extensions: ['csv'] }],
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      }),
  }
}

let mainWindow: BrowserWindow | null = null

/** The registry choice: FIELDFLASH_DATABASE_URL, else Settings' (kept in the preferences). */
function registrySetting(prefs: ElectronStore<Preferences>): RegistrySetting {
  return {
    current: () => {
      const env = process.env.FIELDFLASH_DATABASE_URL
      if (env) return { url: env, from: 'environment' }
      const saved = prefs.get('databaseUrl')
      return saved ? { url: saved, from: 'settings' } : null
    },
    save: (url) => (url === null ? prefs.delete('databaseUrl') : prefs.set('databaseUrl', url)),
  }
}

/**
 * Opens the registry chosen. A shared one that cannot be used is never swapped for this
 * computer's own behind the technician's back (the stations would stop sharing one): they choose.
 */
async function openRegistry(setting: RegistrySetting): ReturnType<typeof openDataDirectory> {
  for (;;) {
    const chosen = setting.current()
    try {
      const field = chosen?.from === 'environment' ? 'FIELDFLASH_DATABASE_URL' : 'url'
      return await openDataDirectory(defaultDataDir(), chosen && databaseTarget(chosen.url, field))
    } catch (error) {
      if (!chosen) throw error
      const buttons =
        chosen.from === 'settings'
          ? ['Try again', 'Quit', "Use this computer's registry"]
          : ['Try again', 'Quit']
      const answer = dialog.showMessageBoxSync({
        type: 'error',
        title: 'FieldFlash',
        message: 'The shared registry cannot be used',
        detail: `${(error as Error).message}\n\nFieldFlash does not switch to this computer's own registry by itself: the stations would stop sharing one.`,
        buttons,
        defaultId: 0,
        cancelId: 1,
      })
      if (answer === 1) throw error
      if (answer === 2) setting.save(null)
    }
  }
}

async function start(): Promise<void> {
  const prefs = preferences()
  const setting = registrySetting(prefs)
  const { store, notices } = await openRegistry(setting)
  for (const notice of notices) console.warn(`fieldflash: ${notice}`)
  const bounds = prefs.get('window')
  const catalog = await BoardCatalog.load(resourcePaths(resourcesDir()))
  const api: MainApi = createApi(
    {
      store,
      catalog,
      dialogs: electronDialogs(() => mainWindow),
      version: app.getVersion(),
      registrySetting: setting,
    },
    (name, payload) => {
      if (mainWindow && !mainWindow.isDestroyed()) {
        mainWindow.webContents.send(EVENT_CHANNELS[name], payload)
      }
    },
  )

  const fromApp = (event: IpcMainInvokeEvent): boolean =>
    mainWindow !== null &&
    event.sender === mainWindow.webContents &&
    event.senderFrame !== null &&
    event.senderFrame === mainWindow.webContents.mainFrame &&
    isAppUrl(event.senderFrame.url)

  for (const operation of OPERATIONS) {
    ipcMain.handle(operationChannel(operation), (event, ...args: unknown[]) => {
      if (!fromApp(event)) throw new Error('IPC from an unexpected sender')
      // Each operation takes one payload (or none); anything more is malformed.
      if (args.length > 1) throw new Error('one payload per call')
      return api.handlers[operation](args[0])
    })
  }

  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  })
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) =>
    callback(false),
  )
  session.defaultSession.setPermissionCheckHandler(() => false)

  mainWindow = new BrowserWindow({
    width: bounds.width,
    height: bounds.height,
    x: bounds.x,
    y: bounds.y,
    minWidth: 960,
    minHeight: 640,
    show: false,
    title: 'FieldFlash',
    icon: join(resourcesDir(), 'icons', 'icon.png'),
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  })
  const window = mainWindow
  window.once('ready-to-show', () => {
    if (bounds.maximized) window.maximize()
    window.show()
  })
  window.on('close', () => {
    prefs.set('window', { ...window.getNormalBounds(), maximized: window.isMaximized() })
  })
  window.on('closed', () => {
    mainWindow = null
    void api.dispose().finally(() => store.close())
  })
  window.webContents.setWindowOpenHandler(({ url }) => {
    // The boards' documentation pages open in the system browser, never inside the app; any other
    // address is refused, whatever the renderer asks for.
    if (catalog.isDocumentationUrl(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  window.webContents.on('will-navigate', (event) => event.preventDefault())
  window.webContents.on('will-redirect', (event) => event.preventDefault())
  window.webContents.on('will-attach-webview', (event) => event.preventDefault())

  const url = rendererUrl()
  if (url.protocol === 'file:') await window.loadFile(rendererFile())
  else await window.loadURL(url.href)
}

app.enableSandbox()
app.setName('FieldFlash')
app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event) => event.preventDefault())
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
})
app
  .whenReady()
  .then(start)
  .catch((error: unknown) => {
    // A corrupt data file or a broken installation: say so (the message says what to do) and stop.
    const message = error instanceof Error ? error.message : String(error)
    console.error('FieldFlash failed to start:', message)
    dialog.showErrorBox('FieldFlash cannot start', message)
    app.exit(1)
  })
app.on('window-all-closed', () => app.quit())
