// The shape of one CLI command; main.ts keeps the table of them.
import type { FlagSpecs, Parsed } from './args';

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** e.g. '<checkpoint.pth> -o model.onnx' */
  readonly usage: string;
  readonly flags: FlagSpecs;
  run(args: Parsed): Promise<void>;
}

/** Writes one status line in place on a terminal, or a plain line when output is piped. */
export function progressLine(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${text}`);
  else process.stderr.write(`${text}\n`);
}

export function endProgressLine(): void {
  if (process.stderr.isTTY) process.stderr.write('\n');
}
