// The operation table as the renderer sees it: Electron's preload bridge when present, else the web
// mode transport (HTTP with the page's access token), else null (a plain preview without engines).
// Job events likewise: the preload's IPC bridge, or web mode's WebSocket.
import { EVENTS_PATH, OPERATION_NAMES, type StudioApi, type StudioEvent, type StudioEventName, type StudioEvents, type StudioEventSource } from '../../../shared/api';

const pageToken = (): string | null => new URLSearchParams(window.location.search).get('token');

function webTransport(token: string): StudioApi {
  const call = async (name: string, args: unknown) => {
    const res = await fetch(`/api/${encodeURIComponent(name)}?token=${encodeURIComponent(token)}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(args ?? {}) });
    return res.json();
  };
  return Object.fromEntries(OPERATION_NAMES.map((name) => [name, (args: unknown) => call(name, args)])) as unknown as StudioApi;
}

/** One WebSocket shared by every subscriber, opened on the first and reopened (after a pause) when it drops. */
function webEvents(token: string): StudioEventSource {
  const listeners = new Set<(event: StudioEvent) => void>();
  let socket: WebSocket | null = null;
  const open = () => {
    const url = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}${EVENTS_PATH}?token=${encodeURIComponent(token)}`;
    const ws = new WebSocket(url);
    ws.onmessage = (m) => {
      const event = JSON.parse(String(m.data)) as StudioEvent;
      for (const listener of listeners) listener(event);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (listeners.size > 0) setTimeout(() => listeners.size > 0 && !socket && (socket = open()), 1000);
    };
    return ws;
  };
  return {
    subscribe(listener) {
      listeners.add(listener);
      socket ??= open();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && socket) {
          const ws = socket;
          socket = null;
          ws.close();
        }
      };
    },
  };
}

export function connectStudio(): StudioApi | null {
  if (window.studio) return window.studio;
  const token = pageToken();
  return token ? webTransport(token) : null;
}

let events: StudioEventSource | null | undefined;

/** The job events source (shared by every panel), or null without a studio behind the page. */
export function connectEvents(): StudioEventSource | null {
  if (events === undefined) {
    const token = pageToken();
    events = window.studioEvents ?? (token ? webEvents(token) : null);
  }
  return events;
}

/** Calls `listener` with each event of one kind. */
export function onStudioEvent<K extends StudioEventName>(name: K, listener: (payload: StudioEvents[K]) => void): () => void {
  const source = connectEvents();
  if (!source) return () => undefined;
  return source.subscribe((event) => {
    if (event.name === name) listener(event.payload as StudioEvents[K]);
  });
}
