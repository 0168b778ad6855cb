// Jobs run in a worker thread or, with processEnv, in a child process that has those variables;
// events, errors and cancel travel the same way in both.
import { describe, expect, it } from 'vitest';
import { runEcho, type EchoEvent } from './echo-job.fixture';
import { TRAINING_PROCESS_ENV } from './worker-job';

describe('runWorkerJob', () => {
  for (const mode of ['thread', 'process'] as const) {
    const options = mode === 'process' ? { processEnv: TRAINING_PROCESS_ENV } : {};
    it(`runs a job in a ${mode} and streams its events`, async () => {
      const events: EchoEvent[] = [];
      await runEcho({ echo: 'hello' }, (e) => events.push(e), undefined, options);
      expect(events).toHaveLength(1);
      const [e] = events as Extract<EchoEvent, { pid: number }>[];
      expect(e.echo).toBe('hello');
      if (mode === 'process') {
        expect(e.pid).not.toBe(process.pid);
        expect(e.threadless).toBe(true);
        expect(e.mmapThreshold).toBe(TRAINING_PROCESS_ENV.MALLOC_MMAP_THRESHOLD_);
      } else {
        expect(e.pid).toBe(process.pid);
        expect(e.threadless).toBe(false);
      }
    });
    it(`rejects with the job's error (${mode})`, async () => {
      await expect(runEcho({ echo: 'boom', fail: true }, () => undefined, undefined, options)).rejects.toThrow(/asked to fail: boom/);
    });
    it(`cancels through the signal (${mode})`, async () => {
      const controller = new AbortController();
      const events: EchoEvent[] = [];
      await runEcho({ echo: 'wait', waitForCancel: true }, (e) => {
        events.push(e);
        if ('pid' in e) controller.abort();
      }, controller.signal, options);
      expect(events.at(-1)).toEqual({ cancelled: true });
    });
  }
  it('a job process outlives a SIGINT (Ctrl+C reaches the whole group; the parent cancels it instead)', async () => {
    const controller = new AbortController();
    const events: EchoEvent[] = [];
    await runEcho({ echo: 'ctrl-c', waitForCancel: true }, (e) => {
      events.push(e);
      if ('pid' in e) {
        process.kill(e.pid, 'SIGINT');
        setTimeout(() => controller.abort(), 300);
      }
    }, controller.signal, { processEnv: TRAINING_PROCESS_ENV });
    expect(events.at(-1)).toEqual({ cancelled: true });
  });
});
