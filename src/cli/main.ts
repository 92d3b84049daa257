// memgrade's command line: `memgrade COMMAND ...`. Exit code 2 for a usage error, with the usage.
import { GRADE_USAGE, gradeCommand } from './commands/grade.ts';
import { TOKENS_USAGE, tokensCommand } from './commands/tokens.ts';
import { UsageError } from './usage.ts';

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  grade: gradeCommand,
  tokens: tokensCommand,
};

const USAGE = `usage:\n${[GRADE_USAGE, TOKENS_USAGE].join('\n\n')}`;

async function main([command, ...args]: string[]): Promise<number> {
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  if (run === undefined) throw new UsageError(`unknown command "${command}"`);
  return run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`memgrade: ${error instanceof Error ? error.message : String(error)}\n${usage ? `\n${USAGE}\n` : ''}`);
    process.exitCode = 2;
  },
);
