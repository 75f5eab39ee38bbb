import { join } from 'node:path'
import { app, BrowserWindow, ipcMain, session, shell } from 'electron'
import ElectronStore from 'electron-store'
import { BoardCatalog, resourcePaths } from './boards/catalog'
import { API_CHANNELS, type FieldFlashApi } from './ipc/api-contract'
import { assertNoPayload, createApi } from './ipc/handlers'
import { defaultDataDir } from './shared/data-dir'
import { FieldFlashStore, type StoreBackendFactory } from './store/store'

// The Electron shell stays thin: it opens a locked-down window and wires IPC to the services in
// main/, which run (and are tested) under plain Node.

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const electronStoreBackend: StoreBackendFactory = (options) =>
  new ElectronStore({ ...options, name: options.configName })

function resourcesDir(): string {
  return app.isPackaged
    ? join(process.resourcesPath, 'resources')
    : join(app.getAppPath(), 'resources')
}

async function start(): Promise<void> {
  const store = FieldFlashStore.open(defaultDataDir(), electronStoreBackend)
  const catalog = await BoardCatalog.load(resourcePaths(resourcesDir()))
  const api = createApi({ store, catalog })
  for (const [operation, channel] of Object.entries(API_CHANNELS) as [
    keyof FieldFlashApi,
    string,
  ][]) {
    ipcMain.handle(channel, (event, ...args) => {
      if (event.senderFrame?.url && !event.senderFrame.url.startsWith(rendererOrigin())) {
        throw new Error('IPC from an unexpected origin')
      }
      assertNoPayload(args)
      return api[operation]()
    })
  }

  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  })
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) =>
    callback(false),
  )

  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 640,
    show: false,
    title: 'FieldFlash',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  })
  window.once('ready-to-show', () => window.show())
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url) // documentation links open in the browser
    return { action: 'deny' }
  })
  window.webContents.on('will-navigate', (event) => event.preventDefault())
  window.webContents.on('will-attach-webview', (event) => event.preventDefault())

  if (process.env.ELECTRON_RENDERER_URL) await window.loadURL(process.env.ELECTRON_RENDERER_URL)
  else await window.loadFile(join(import.meta.dirname, '../renderer/index.html'))
}

function rendererOrigin(): string {
  return process.env.ELECTRON_RENDERER_URL
    ? new URL(process.env.ELECTRON_RENDERER_URL).origin
    : 'file://'
}

app.enableSandbox()
app.setName('FieldFlash')
app.whenReady().then(start, (error) => {
  console.error('FieldFlash failed to start:', error instanceof Error ? error.message : error)
  app.exit(1)
})
app.on('window-all-closed', () => app.quit())
