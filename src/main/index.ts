// The Electron shell: one window with a locked-down renderer, IPC handlers generated from the shared
// operation table, and nothing else. The only file under src/main that imports electron.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell, type WebFrameMain } from 'electron';
import { channelOf, EVENT_CHANNEL, OPERATION_NAMES } from '../shared/api';
import { CONTENT_SECURITY_POLICY } from '../shared/csp';
import { APP_ORIGIN, APP_SCHEME, appResponse } from './app-protocol';
import { createStudio, type Studio } from './api/studio';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const RENDERER_DIR = join(HERE, '../renderer');
/** electron-vite sets this in dev; the built app loads its files through studio:// (see app-protocol.ts). */
const DEV_SERVER_URL = process.env.ELECTRON_RENDERER_URL;
/** Pages that may call the operation table: the dev server's, or the app's own. */
const RENDERER_ORIGIN = DEV_SERVER_URL ? new URL(DEV_SERVER_URL).origin : APP_ORIGIN;

function isStudioPage(frame: WebFrameMain | null): boolean {
  return frame !== null && frame.parent === null && frame.url.startsWith(`${RENDERER_ORIGIN}/`);
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    backgroundColor: '#15161a',
    title: 'GANimation Studio',
    webPreferences: {
      preload: join(HERE, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      // Middle-click must not open links in new windows (electronegativity AUXCLICK_JS_CHECK).
      disableBlinkFeatures: 'Auxclick',
    },
  });
  // The studio is one page: a dropped file or a stray link must not replace it, nor open windows.
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  void window.loadURL(DEV_SERVER_URL ?? `${APP_ORIGIN}/index.html`);
  return window;
}

/** The desktop studio: the bundled model first, then the user's own; the system's dialogs. */
function desktopStudio(): Studio {
  return createStudio({
    dataDir: join(app.getPath('userData'), 'studio'),
    modelsDir: join(app.getPath('userData'), 'models'),
    models: [join(app.getAppPath(), 'resources/models/default.onnx')],
    samplePhoto: join(app.getAppPath(), 'resources/samples/portrait.jpg'),
    // The desktop user names training folders themselves; any readable folder is allowed.
    dataRoots: null,
    host: {
      revealFile: (file) => shell.showItemInFolder(file),
      chooseSavePath: async (suggested) => {
        const r = await dialog.showSaveDialog({ title: 'Export animation', defaultPath: suggested });
        return r.canceled || !r.filePath ? null : r.filePath;
      },
      chooseFolder: async () => {
        const r = await dialog.showOpenDialog({ title: 'Folder of face photos', properties: ['openDirectory'] });
        return r.canceled ? null : (r.filePaths[0] ?? null);
      },
    },
  });
}

app.enableSandbox();
// A standard, secure scheme: the page gets an origin of its own ('self' is studio://app, not every file).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

void app.whenReady().then(() => {
  protocol.handle(APP_SCHEME, (request) => appResponse(request.url, RENDERER_DIR));
  // studio:// answers carry the policy themselves; the dev server's pages get it here, and the
  // page also has it as a meta tag.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  session.defaultSession.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  const studio = desktopStudio();
  for (const name of OPERATION_NAMES) {
    ipcMain.handle(channelOf(name), (event, args: unknown) =>
      isStudioPage(event.senderFrame)
        ? studio.dispatch(name, args)
        : { ok: false, error: { code: 'forbidden', message: `${name}: only the studio page may call the studio` } },
    );
  }
  // Job events go to every studio window (the web server sends the same over its WebSocket).
  studio.subscribe((event) => {
    for (const window of BrowserWindow.getAllWindows()) if (!window.isDestroyed()) window.webContents.send(EVENT_CHANNEL, event);
  });
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
