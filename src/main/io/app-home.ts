// Where the studio keeps what it makes unless told otherwise: web mode's data folder and the CLI's
// machine cache default to the same place for every run.
import os from 'node:os';
import path from 'node:path';

export const DEFAULT_HOME = path.join(os.homedir(), '.ganimation-studio');

/** This machine's measured conv patterns (train/weight-grad-tuning.ts) under a data folder. */
export const patternTableIn = (dataDir: string): string => path.join(dataDir, 'cache', 'weight-grad-patterns.json');
