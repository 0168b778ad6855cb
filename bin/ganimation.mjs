#!/usr/bin/env node
// Entry of the `ganimation` command: runs the TypeScript CLI through tsx (a dependency), so it
// works straight after `npm install` without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
