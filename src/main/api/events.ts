// The event bus of the operation table's long jobs: job modules publish, the transports (Electron
// IPC, web mode's WebSocket) forward to every open window. Electron-free.
import type { StudioEvent, StudioEventName, StudioEvents } from '../../shared/api';

type Listener = (event: StudioEvent) => void;
const listeners = new Set<Listener>();

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function publish<K extends StudioEventName>(name: K, payload: StudioEvents[K]): void {
  const event = { name, payload } as StudioEvent;
  // A failing transport must not break the job that published, nor the other transports.
  for (const listener of listeners) {
    try {
      listener(event);
    } catch {
      // the transport reports its own errors
    }
  }
}

/**
 * Publishes at most every `ms` for one job (progress arrives per frame or per step), but always
 * at once when `urgent` (a state change: done, failed, cancelled). The payload is built only when
 * it is sent: a training status thins every loss curve.
 */
export function throttledPublisher<K extends StudioEventName>(name: K, ms: number): (payload: () => StudioEvents[K], urgent?: boolean) => void {
  let last = -Infinity;
  return (payload, urgent = false) => {
    const now = performance.now();
    if (!urgent && now - last < ms) return;
    last = now;
    publish(name, payload());
  };
}
