// followJob: events that beat the start answer count, other jobs' events do not, the job's end
// unsubscribes, and a silent event channel falls back to fetching the status.
import { describe, expect, it } from 'vitest';
import { followJob } from './interaction';

interface Status {
  readonly id: string;
  readonly state: 'running' | 'done';
  readonly step: number;
}

function channel() {
  const listeners = new Set<(s: Status) => void>();
  return {
    subscribe: (l: (s: Status) => void) => {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    emit: (s: Status) => listeners.forEach((l) => l(s)),
    get size() {
      return listeners.size;
    },
  };
}

describe('followJob', () => {
  it('keeps an event that arrived before the start answer, ignores other jobs, and ends with the job', () => {
    const events = channel();
    const seen: Status[] = [];
    const follower = followJob<Status>({ subscribe: events.subscribe, idOf: (s) => s.id, fetch: async () => null, onStatus: (s) => seen.push(s), fallbackMs: 10_000 });
    events.emit({ id: 'a', state: 'running', step: 5 });
    follower.started({ id: 'a', state: 'running', step: 0 });
    expect(seen).toEqual([{ id: 'a', state: 'running', step: 5 }]);
    events.emit({ id: 'b', state: 'running', step: 9 });
    events.emit({ id: 'a', state: 'done', step: 10 });
    expect(seen.map((s) => s.step)).toEqual([5, 10]);
    expect(events.size).toBe(0);
    events.emit({ id: 'a', state: 'running', step: 11 });
    expect(seen).toHaveLength(2);
  });

  it('fetches the status while events are silent', async () => {
    const events = channel();
    const seen: Status[] = [];
    let fetches = 0;
    followJob<Status>({
      subscribe: events.subscribe,
      idOf: (s) => s.id,
      fetch: async (id) => ({ id, state: ++fetches < 2 ? 'running' : 'done', step: fetches }),
      onStatus: (s) => seen.push(s),
      fallbackMs: 20,
    }).started({ id: 'a', state: 'running', step: 0 });
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.map((s) => s.state)).toEqual(['running', 'running', 'done']);
    expect(fetches).toBe(2);
    expect(events.size).toBe(0);
  });
});
