// The operation table as the renderer sees it: Electron's preload bridge when present, else the web
// mode transport (HTTP with the page's access token), else null (a plain preview without engines).
import { OPERATION_NAMES, type StudioApi } from '../../../shared/api';

function webTransport(token: string): StudioApi {
  const call = async (name: string, args: unknown) => {
    const res = await fetch(`/api/${encodeURIComponent(name)}?token=${encodeURIComponent(token)}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(args ?? {}) });
    return res.json();
  };
  return Object.fromEntries(OPERATION_NAMES.map((name) => [name, (args: unknown) => call(name, args)])) as unknown as StudioApi;
}

export function connectStudio(): StudioApi | null {
  if (window.studio) return window.studio;
  const token = new URLSearchParams(window.location.search).get('token');
  return token ? webTransport(token) : null;
}
