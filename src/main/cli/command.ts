// The shape of one CLI command; main.ts keeps the table of them.
import type { FlagSpecs, Parsed } from './args';

export interface Command<F extends FlagSpecs = FlagSpecs> {
  readonly name: string;
  readonly summary: string;
  /** e.g. '<checkpoint.pth> -o model.onnx' */
  readonly usage: string;
  readonly flags: F;
  run(args: Parsed<F>): Promise<void>;
}

/**
 * A command whose run() sees its flags typed from their specs: a required string flag is a string,
 * an optional one string | undefined, a number flag a number, a flag with choices one of them, a
 * repeatable flag a string[].
 */
export const defineCommand = <const F extends FlagSpecs>(command: Command<F>): Command<F> => command;

/** Writes one status line in place on a terminal, or a plain line when output is piped. */
export function progressLine(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${text}`);
  else process.stderr.write(`${text}\n`);
}

export function endProgressLine(): void {
  if (process.stderr.isTTY) process.stderr.write('\n');
}

/**
 * Calls `stop` on the first Ctrl-C (SIGINT) or SIGTERM (`kill`, `timeout`, a service manager), so a
 * long command ends its job cleanly (a training run writes its checkpoint, an export removes its
 * partial file) instead of dying mid-step; returns the function that removes the handlers.
 */
export function onStopSignal(stop: () => void): () => void {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  for (const signal of signals) process.once(signal, stop);
  return () => {
    for (const signal of signals) process.removeListener(signal, stop);
  };
}
