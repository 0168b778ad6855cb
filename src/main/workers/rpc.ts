// A long-lived worker thread answering calls: the caller awaits `call(method, args)`, the worker
// runs the method and replies with its result or its error (code and details kept). Used for the
// studio's frame engine, so face detection and frame rendering never block the main process.
import { parentPort, type Worker, workerData } from 'node:worker_threads';
import { StudioError, toErrorInfo, type StudioErrorInfo } from '../../shared/errors';
import { spawnWorker } from './worker-job';

type Methods = Record<string, (args: never) => Promise<unknown>>;
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: StudioErrorInfo };

export interface RpcClient<M extends Methods> {
  call<K extends keyof M & string>(method: K, args: Parameters<M[K]>[0]): Promise<Awaited<ReturnType<M[K]>>>;
  close(): Promise<void>;
}

/** Starts the worker lazily on the first call; a worker that dies fails its pending calls and is restarted on the next. */
export function rpcClient<M extends Methods>(moduleUrl: string, bundledName: string): RpcClient<M> {
  let worker: Worker | null = null;
  let nextId = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const start = (): Worker => {
    const w = spawnWorker(moduleUrl, bundledName, { rpc: bundledName });
    w.on('message', (reply: Reply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (pending.size === 0) w.unref();
      if (reply.ok) p.resolve(reply.value);
      else p.reject(new StudioError(reply.error.code, reply.error.message, reply.error.details));
    });
    const fail = (why: string) => {
      for (const p of pending.values()) p.reject(new StudioError('engine-stopped', `the ${bundledName} stopped: ${why}`));
      pending.clear();
      if (worker === w) worker = null;
    };
    w.on('error', (err) => fail(err.message));
    w.on('exit', (code) => fail(`exit code ${code}`));
    return w;
  };
  return {
    call(method, args) {
      worker ??= start();
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        // Held while calls are pending; an idle engine must not keep a CLI or test process alive.
        (worker as Worker).ref();
        (worker as Worker).postMessage({ id, method, args });
      });
    },
    async close() {
      await worker?.terminate();
      worker = null;
    },
  };
}

/** Inside the worker: answers calls with `methods` when this thread was started as `name`. */
export function serveRpc(name: string, methods: Methods): void {
  if (!parentPort || (workerData as { rpc?: string } | null)?.rpc !== name) return;
  const port = parentPort;
  port.on('message', async ({ id, method, args }: { id: number; method: string; args: never }) => {
    try {
      const fn = methods[method];
      if (!fn) throw new StudioError('unknown-method', `${name} has no method ${method}`);
      port.postMessage({ id, ok: true, value: await fn(args) } satisfies Reply);
    } catch (err) {
      port.postMessage({ id, ok: false, error: toErrorInfo(err) } satisfies Reply);
    }
  });
}
