// Interaction helpers: pointer drags (capture the pointer on the pressed element, report each move,
// clean up on release, so every draggable thing behaves alike) and status polling for long jobs.

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
