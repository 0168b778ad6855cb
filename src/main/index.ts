// The Electron shell: one window with a locked-down renderer, IPC handlers generated from the shared
// operation table, and nothing else. The only file under src/main that imports electron.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, session, shell } from 'electron';
import { channelOf, OPERATION_NAMES } from '../shared/api';
import { dispatch } from './api/handlers';
import { configureModels } from './api/studio-session';
import fs from 'node:fs';

const HERE = fileURLToPath(new URL('.', import.meta.url));

const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

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
    },
  });
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  if (process.env.ELECTRON_RENDERER_URL) void window.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void window.loadFile(join(HERE, '../renderer/index.html'));
  return window;
}

void app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  const userModels = join(app.getPath('userData'), 'models');
  fs.mkdirSync(userModels, { recursive: true });
  const bundled = join(app.getAppPath(), 'resources/models/default.onnx');
  configureModels([bundled, ...fs.readdirSync(userModels).filter((f) => f.endsWith('.onnx')).map((f) => join(userModels, f))], { importDir: userModels });
  for (const name of OPERATION_NAMES) ipcMain.handle(channelOf(name), (_event, args: unknown) => dispatch(name, args));
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
