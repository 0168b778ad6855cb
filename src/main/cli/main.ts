// The `ganimation` command: one table of commands, help, and exit codes (0 ok, 1 failure, 2 usage).
import { formatFlags, parseArgs, UsageError } from './args';
import { analyzeCommand } from './cmd-analyze';
import { datasetCommand } from './cmd-dataset';
import { editCommand } from './cmd-edit';
import { evalCommand } from './cmd-eval';
import { exportModelCommand } from './cmd-export-model';
import { fitMotionCommand } from './cmd-fit-motion';
import { geometryModelCommand } from './cmd-geometry-model';
import { generateCommand } from './cmd-generate';
import { importPthCommand } from './cmd-import-pth';
import { infoCommand } from './cmd-info';
import { renderCommand } from './cmd-render';
import { trainCommand } from './cmd-train';
import type { Command } from './command';

const COMMANDS: readonly Command[] = [analyzeCommand, editCommand, generateCommand, infoCommand, importPthCommand, renderCommand, datasetCommand, trainCommand, exportModelCommand, evalCommand, fitMotionCommand, geometryModelCommand];

function help(): string {
  const rows = COMMANDS.map((c) => `  ${c.name.padEnd(14)} ${c.summary}`).join('\n');
  return `GANimation Studio command line\n\nUsage: ganimation <command> [options]\n\nCommands:\n${rows}\n\nRun 'ganimation <command> --help' for a command's options. Add --verbose for stack traces.`;
}

const commandHelp = (c: Command): string => `Usage: ganimation ${c.name} ${c.usage}\n\n${c.summary}\n\nOptions:\n${formatFlags(c.flags)}`;

export async function main(argv: readonly string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const args = argv.filter((a) => a !== '--verbose');
  const [name, ...rest] = args;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`ganimation: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(commandHelp(command));
    return 0;
  }
  try {
    await command.run(parseArgs(rest, command.flags));
    return 0;
  } catch (err) {
    const usage = err instanceof UsageError;
    console.error(`ganimation ${name}: ${(err as Error).message}`);
    if (usage) console.error(`\n${commandHelp(command)}`);
    else if (verbose) console.error((err as Error).stack);
    return usage ? 2 : 1;
  }
}
