// Median run time of a compiled graph on onnxruntime-node, for the graph benchmarks: the graph's
// session fed the inputs it names, warmed up, then timed.
import { createSession, runSession, type HostTensor, type SessionOptions } from '../src/main/infer/ort-session';

export async function medianRunMs(model: Uint8Array, feeds: Record<string, HostTensor>, options: { warmups: number; repeats: number; session?: SessionOptions }): Promise<number> {
  const session = await createSession(model, options.session);
  const subset = Object.fromEntries(Object.entries(feeds).filter(([k]) => session.inputNames.includes(k)));
  for (let i = 0; i < options.warmups; i++) await runSession(session, subset);
  const times: number[] = [];
  for (let i = 0; i < options.repeats; i++) {
    const t0 = performance.now();
    await runSession(session, subset);
    times.push(performance.now() - t0);
  }
  await session.release();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
