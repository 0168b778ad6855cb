// One studio's event bus for its long jobs: job modules publish, the transports (Electron IPC, web
// mode's WebSocket) subscribe and forward to every open window. Electron-free.
import type { StudioEvent, StudioEventName, StudioEvents } from '../../shared/api';

export type StudioListener = (event: StudioEvent) => void;

export class EventBus {
  private readonly listeners = new Set<StudioListener>();

  /** Adds a listener; returns the function that removes it. */
  subscribe = (listener: StudioListener): (() => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  publish<K extends StudioEventName>(name: K, payload: StudioEvents[K]): void {
    const event = { name, payload } as StudioEvent;
    // A failing transport must not break the job that published, nor the other transports.
    for (const listener of this.listeners) {
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
  throttled<K extends StudioEventName>(name: K, ms: number): (payload: () => StudioEvents[K], urgent?: boolean) => void {
    let last = -Infinity;
    return (payload, urgent = false) => {
      const now = performance.now();
      if (!urgent && now - last < ms) return;
      last = now;
      this.publish(name, payload());
    };
  }

  /** Drops every listener (the studio is closing). */
  clear(): void {
    this.listeners.clear();
  }
}
