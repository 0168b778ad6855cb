// The --performers (and --holdout) flags of the commands that read a labelled folder: the ids its
// labels.csv uses that the flag names, or a usage error that names the flag.
import { readLabels, selectPerformers } from '../face/motion-data';
import { UsageError } from './args';

export function performersFlag(folder: string, spec: string, flag: string): Set<string> {
  const known = readLabels(folder).map((r) => r.performer);
  try {
    return selectPerformers(spec, known);
  } catch (err) {
    throw new UsageError(`--${flag}: ${(err as Error).message}`);
  }
}
