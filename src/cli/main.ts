// memgrade's command line: `memgrade COMMAND ...`. Exit code 2 for a usage error, with the usage.
//
// `grade` starts its sandbox process before anything else is loaded: the child's start (Node,
// isolated-vm) then overlaps with this process's own loading of the grading modules.
import { SandboxProcess } from '../sandbox-host/index.ts';
import { UsageError } from './usage.ts';

const [command, ...args] = process.argv.slice(2);
const early = command === 'grade' ? new SandboxProcess() : null;

const COMMANDS: Record<string, () => Promise<{ run: (args: string[]) => Promise<number>; usage: string }>> = {
  grade: async () => {
    const m = await import('./commands/grade.ts');
    return { run: (a) => m.gradeCommand(a, early), usage: m.GRADE_USAGE };
  },
  tokens: async () => {
    const m = await import('./commands/tokens.ts');
    return { run: m.tokensCommand, usage: m.TOKENS_USAGE };
  },
  export: async () => {
    const m = await import('./commands/export.ts');
    return { run: m.exportCommand, usage: m.EXPORT_USAGE };
  },
  worker: async () => {
    const m = await import('./commands/worker.ts');
    return { run: m.workerCommand, usage: m.WORKER_USAGE };
  },
  autograde: async () => {
    const m = await import('./commands/autograde.ts');
    return { run: m.autogradeCommand, usage: m.AUTOGRADE_USAGE };
  },
};

async function usage(): Promise<string> {
  const all = await Promise.all(Object.values(COMMANDS).map(async (load) => (await load()).usage));
  return `usage:\n${all.join('\n\n')}`;
}

async function main(): Promise<number> {
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${await usage()}\n`);
    return command === undefined ? 2 : 0;
  }
  const load = COMMANDS[command];
  if (load === undefined) throw new UsageError(`unknown command "${command}"`);
  return (await load()).run(args);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    await early?.close();
    const isUsage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`memgrade: ${error instanceof Error ? error.message : String(error)}\n${isUsage ? `\n${await usage()}\n` : ''}`);
    process.exitCode = 2;
  },
);
