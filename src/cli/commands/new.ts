// `memgrade new ID [--dir DIR]`: lays out a new assignment folder, DIR/ID, that `memgrade check`
// passes as it is: a manifest, helpers, the starter code, the original program (a solution that
// must fail) and one that passes, and a README for students. The exercise is a small one of its
// own (the sum of the squares of a million numbers, in one 8 MB array instead of two), there to
// be edited into the author's; docs/authoring.md says how. The files are written here, not
// copied from a folder, so that the installed package (dist/) carries them too.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { usageError } from '../usage.ts';

export const NEW_USAGE = `memgrade new ID [--dir DIR]

  ID         the assignment's id: lowercase letters, digits and dashes (its folder's name)
  --dir DIR  where the folder is made (default: the current folder)

Writes DIR/ID: manifest.json, helpers.js, starter.js, solutions/original.js (must fail),
solutions/in-place.js (must pass) and README.md, a small exercise that \`memgrade check
DIR/ID\` passes, to edit into your own (docs/authoring.md). To grade with it, add DIR to
MEMGRADE_ASSIGNMENTS_DIRS.`;

const ID = /^[a-z0-9][a-z0-9-]*$/;

/** "linked-lists" -> "Linked lists". */
const titleOf = (id: string) => {
  const words = id.split('-').filter((w) => w !== '');
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
};

function manifestFor(id: string): object {
  return {
    id,
    title: titleOf(id),
    summary: 'Sum the squares of a million numbers in one 8 MB array, not two.',
    entry_point: 'sum_of_squares',
    entry_args: ['COUNT'],
    helpers: 'helpers.js',
    globals: ['COUNT', 'load_numbers', 'square_all', 'total'],
    steps: ['load_numbers', 'square_all', 'total'],
    check: 'check',
    hidden_check: { setup: 'hidden_setup' },
    unit: { name: '8 MB array', bytes: 8_000_000 },
    points: { correct: 40, memory: 60 },
    lower_bound_bytes: 8_000_000,
    starter: 'starter.js',
    solutions: {
      original: { file: 'solutions/original.js', expect: 'failed' },
      'in-place': { file: 'solutions/in-place.js', expect: 'passed' },
    },
    limits: {
      peak_bytes: 12_000_000,
      memory_cap_mb: 128,
      timeout_ms: 10_000,
      cpu_time_ms: 10_000,
      explain_ms: 5_000,
      max_code_bytes: 65_536,
    },
  };
}

const HELPERS = `// The exercise's helpers. memgrade runs this file inside the isolate before the submission:
// the names the manifest lists in \`globals\` are what the submission sees, each function in
// \`steps\` is measured on its own line of the report, \`check\` checks the result and
// \`hidden_check.setup\` switches the input for a second, small run (docs/authoring.md).
//
// The submission runs after this file and may rewrite any built-in prototype: whatever the
// helpers call later is captured now.
const NativeTypeError = TypeError;
const toNumber = Number;
const uncurry = (fn) => Reflect.apply(Function.prototype.bind, Function.prototype.call, [fn]);
const TypedArrayPrototype = Object.getPrototypeOf(Float64Array.prototype);
const tagOf = uncurry(Object.getOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag).get);
const lengthOf = uncurry(Object.getOwnPropertyDescriptor(TypedArrayPrototype, 'length').get);

// The exercise's constant, which the grader passes to sum_of_squares (manifest: entry_args).
// \`let\`: the hidden check's setup changes it before the grader reads it.
let COUNT = 1000000;

// The input: whole numbers from 0 to 999, so that the sum of their squares is exact in a
// double (under 2^53) in whatever order it is added. The hidden check shifts them by a seed.
let shift = 0;
const valueAt = (i) => (i + shift) % 1000;

const requireNumbers = (numbers, step) => {
  if (tagOf(numbers) !== 'Float64Array') throw new NativeTypeError(step + ' expects a Float64Array');
  return lengthOf(numbers);
};

// \`count\` numbers in a NEW Float64Array: 8 bytes each, 8 MB for a million.
function load_numbers(count) {
  const n = toNumber(count);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = valueAt(i);
  return out;
}

// The squares of \`numbers\` in a NEW array of the same size, as numpy's \`numbers ** 2\` makes.
function square_all(numbers) {
  const n = requireNumbers(numbers, 'square_all');
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = numbers[i] * numbers[i];
  return out;
}

// The sum of \`numbers\`.
function total(numbers) {
  const n = requireNumbers(numbers, 'total');
  let sum = 0;
  for (let i = 0; i < n; i++) sum += numbers[i];
  return sum;
}

// The hidden check (manifest: hidden_check): the grader calls this with a seed the submission
// never sees, before it reads COUNT, and runs the submission a second time, small and
// unmeasured. A result that was not computed from the input fails it.
function hidden_setup(seed) {
  const s = toNumber(seed) >>> 0;
  COUNT = 1000 + (s % 9000);
  shift = s % 1000;
}

// The expected result, computed without an array.
const expected = () => {
  let sum = 0;
  for (let i = 0; i < COUNT; i++) {
    const v = valueAt(i);
    sum += v * v;
  }
  return sum;
};

// The check (manifest: check): { correct, message, first_bad_index }. Its message is what the
// student reads.
function check(result) {
  const want = expected();
  if (typeof result !== 'number') {
    const kind = result === null ? 'null' : typeof result;
    return { correct: false, message: 'sum_of_squares must return a number, got ' + kind, first_bad_index: null };
  }
  if (result !== want) {
    return { correct: false, message: 'the squares of the ' + COUNT + ' numbers add up to ' + want + ', not ' + result, first_bad_index: null };
  }
  return { correct: true, message: 'the squares of the ' + COUNT + ' numbers add up to ' + want, first_bad_index: null };
}
`;

const ORIGINAL = `// COUNT and the helpers load_numbers, square_all and total are already defined. The grader
// calls sum_of_squares(COUNT) and measures its peak memory.
function sum_of_squares(count) {
  const numbers = load_numbers(count);
  const squares = square_all(numbers);
  return total(squares);
}
`;

const IN_PLACE = `// Squares the numbers where they are: one 8 MB array from start to end, where square_all
// holds two at once.
function sum_of_squares(count) {
  const numbers = load_numbers(count);
  for (let i = 0; i < numbers.length; i++) numbers[i] *= numbers[i];
  return total(numbers);
}
`;

const readme = (id: string) => `<!-- For the author (delete this comment): this is what students read. The exercise is
memgrade's example; make it yours (docs/authoring.md), then run \`memgrade check\` on this folder. -->
# ${titleOf(id)}

\`sum_of_squares(count)\` loads \`count\` numbers and adds up their squares:

\`\`\`js
function sum_of_squares(count) {
  const numbers = load_numbers(count);
  const squares = square_all(numbers);
  return total(squares);
}
\`\`\`

The grader calls \`sum_of_squares(COUNT)\`, with \`COUNT\` a million: \`load_numbers\` makes a
\`Float64Array\` of 8 MB, and \`square_all\` a second one of the same size, so the function peaks at
16 MB. The limit is 12 MB (11.4 MiB).

**Your task:** change \`sum_of_squares\` so that it returns the same sum with only one 8 MB array
alive at a time. \`COUNT\`, \`load_numbers\`, \`square_all\` and \`total\` are already defined;
they cannot be changed.

The result is checked twice: on the full input, and on a smaller one the grader makes up, so
the sum must be computed, not written down.
`;

export async function newCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { dir: { type: 'string', default: '.' } } });
  if (positionals.length !== 1) usageError('new needs one ID');
  const id = positionals[0];
  if (!ID.test(id)) usageError(`"${id}" is not an id: lowercase letters, digits and dashes, starting with a letter or digit`);
  const folder = join(values.dir, id);
  if (existsSync(folder) && readdirSync(folder).length > 0) usageError(`${folder} exists and is not empty`);
  mkdirSync(join(folder, 'solutions'), { recursive: true });
  const files: [string, string][] = [
    ['manifest.json', `${JSON.stringify(manifestFor(id), null, 2)}\n`],
    ['helpers.js', HELPERS],
    ['starter.js', ORIGINAL],
    ['solutions/original.js', ORIGINAL],
    ['solutions/in-place.js', IN_PLACE],
    ['README.md', readme(id)],
  ];
  for (const [file, text] of files) writeFileSync(join(folder, file), text, { flag: 'wx' });
  const shown = relative(process.cwd(), folder) || '.';
  process.stdout.write(
    `wrote ${shown}: ${files.map(([file]) => file).join(', ')}\n` +
      `next: memgrade check ${shown}, then make the exercise yours (docs/authoring.md)\n`,
  );
  return 0;
}
