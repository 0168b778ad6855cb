// `npm run web`: serves the built studio on 127.0.0.1 and prints the URL with its access token.
// Exit codes as the CLI's: 0 after --help or Ctrl+C, 1 on failure, 2 on a usage error. Ctrl+C
// cancels running exports and stops training runs (with a checkpoint) before the process ends; a
// second Ctrl+C ends it at once.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStudio } from '../api/studio';
import { UsageError } from '../cli/args';
import { startWebServer } from './server';
import { parseWebOptions, webUsage } from './web-options';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

async function serve(argv: readonly string[]): Promise<number> {
  const options = parseWebOptions(argv, ROOT);
  if (!options) {
    console.log(webUsage());
    return 0;
  }
  const studio = createStudio(options.studio);
  const server = await startWebServer({ studio, port: options.port, rendererDir: path.join(ROOT, 'out/renderer') });
  console.log(`GANimation Studio (web mode): ${server.url}`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  await server.close();
  await studio.dispose();
  return 0;
}

let code: number;
try {
  code = await serve(process.argv.slice(2));
} catch (err) {
  console.error(`ganimation web: ${(err as Error).message}`);
  if (err instanceof UsageError) console.error(`\n${webUsage()}`);
  code = err instanceof UsageError ? 2 : 1;
}
// Ends the process even while a worker thread is still winding down.
process.exit(code);
