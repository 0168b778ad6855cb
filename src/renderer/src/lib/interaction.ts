// Interaction helpers: pointer drags (capture the pointer on the pressed element, report each move,
// clean up on release, so every draggable thing behaves alike), status polling, and following a
// long job through its events.

/** Follows the pointer pressed in `e` until it is released; `onEnd` runs once, on release. */
export function trackPointer(e: PointerEvent, onMove: (ev: PointerEvent) => void, onEnd?: () => void): void {
  const target = e.currentTarget as HTMLElement;
  target.setPointerCapture(e.pointerId);
  const up = () => {
    target.removeEventListener('pointermove', onMove);
    target.removeEventListener('pointerup', up);
    target.removeEventListener('pointercancel', up);
    onEnd?.();
  };
  target.addEventListener('pointermove', onMove);
  target.addEventListener('pointerup', up);
  target.addEventListener('pointercancel', up);
}

/** Calls `tick` every `ms` until it returns false (or `stop` is called): status polling for long jobs. */
export function poll(tick: () => Promise<boolean>, ms: number): { stop: () => void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  const next = () => {
    timer = setTimeout(async () => {
      if (!stopped && (await tick()) && !stopped) next();
    }, ms);
  };
  next();
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

export interface JobFollower<S> {
  /** The job's first status, as its start operation answered: from here on, its events count. */
  started(first: S): void;
  stop(): void;
}

/**
 * Follows one long job (an export, a training run) through its events, which carry every job of
 * that kind: subscribe before starting it, since events may arrive before the start answer names
 * the job. While events are silent for `fallbackMs`, its status is fetched instead (should the
 * event channel drop). Stops by itself when the job ends.
 */
export function followJob<S extends { readonly state: string }>(o: {
  subscribe: (listener: (status: S) => void) => () => void;
  idOf: (status: S) => string;
  /** The job's status by id, or null when it cannot be had (the caller reports why). */
  fetch: (id: string) => Promise<S | null>;
  onStatus: (status: S) => void;
  fallbackMs: number;
}): JobFollower<S> {
  let id: string | null = null;
  let stopped = false;
  let lastEventAt = 0;
  let poller: { stop: () => void } | null = null;
  const early = new Map<string, S>();
  const deliver = (status: S) => {
    o.onStatus(status);
    if (status.state !== 'running') stop();
  };
  const unsubscribe = o.subscribe((status) => {
    lastEventAt = performance.now();
    if (id === null) early.set(o.idOf(status), status);
    else if (o.idOf(status) === id) deliver(status);
  });
  function stop(): void {
    stopped = true;
    unsubscribe();
    poller?.stop();
  }
  return {
    started(first) {
      id = o.idOf(first);
      deliver(early.get(id) ?? first);
      early.clear();
      if (stopped) return;
      poller = poll(async () => {
        if (performance.now() - lastEventAt < o.fallbackMs) return true;
        const status = await o.fetch(id as string);
        if (status && !stopped) deliver(status);
        return !!status && !stopped;
      }, o.fallbackMs);
    },
    stop,
  };
}
