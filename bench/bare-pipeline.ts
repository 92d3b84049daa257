// An assignment's pipeline run bare in plain Node: its own helpers.js (loaded from its source, not
// copied) and a submission, with no sandbox and no measurement, driven by the manifest as the
// harness is (entry point and its arguments, steps, the check and what it uses). Each step is
// timed with performance.now() around the call, which is all the instrumentation there is.
//
// With `independent`, it also measures the JS heap's peak itself, as an independent reading of
// what the grader reports: a full GC and the heap's data spaces (new, old and large objects:
// what the grader's native reader counts), above a baseline taken before the submission's script
// runs, at a step's first 8 returns and then its 16th, 32nd, 64th... (as the grader samples step
// exits), every SAMPLE_EVERY steps of a generator step and when it is done, and at the end.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Manifest } from '../src/grading/assignments.ts';

export interface BareRun {
  /** Wall time of the entry point, steps included. */
  pipeline_ms: number;
  /** Wall time of the assignment's check on the result. */
  check_ms: number;
  correct: boolean;
  steps: { name: string; duration_ms: number }[];
  /** The independent peak of the JS heap's data spaces, when asked for. */
  heap_peak_bytes: number | null;
}

export interface BarePipeline {
  run(): BareRun;
}

type Helpers = Record<string, unknown>;
type AnyFunction = (...args: unknown[]) => unknown;
const SAMPLE_EVERY = 4096;
const GeneratorFunction = Object.getPrototypeOf(function* () {}) as object;

const dataSpaces = () =>
  v8
    .getHeapSpaceStatistics()
    .filter((s) => ['new_space', 'old_space', 'large_object_space', 'new_large_object_space'].includes(s.space_name))
    .reduce((sum, s) => sum + s.space_used_size, 0);

/**
 * Loads the helpers the way the isolate does (a strict function body that returns the manifest's
 * globals), then the submission with those globals in scope as parameters, and its own steps
 * rebound to timing wrappers. Every call makes fresh closures: new functions with no type
 * feedback, as in a fresh isolate (V8 may still reuse the compiled bytecode).
 */
export function loadBare(helpersSource: string, code: string, manifest: Manifest, independent = false): BarePipeline {
  const check = manifest.check ?? 'check';
  const gc = independent ? (runInNewContext('gc') as () => void) : null;
  let baseline = 0;
  let peak = 0;
  const sample = () => {
    if (gc === null) return;
    gc();
    peak = Math.max(peak, dataSpaces() - baseline);
  };
  const exported = [...manifest.globals, check];
  // The point of the bare run: the same source, compiled by plain Node, outside any sandbox.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const makeHelpers = new Function(`'use strict';\n${helpersSource}\nreturn { ${exported.join(', ')} };`) as () => Helpers;
  const helpers = makeHelpers();
  const times = new Map<string, number>();
  const timed = (name: string, fn: AnyFunction): AnyFunction => {
    if (Object.getPrototypeOf(fn) === GeneratorFunction) {
      return function (this: unknown, ...args: unknown[]) {
        const iterator = fn.apply(this, args) as Iterator<unknown>;
        let count = 0;
        return {
          next(value?: unknown) {
            const started = performance.now();
            const result = iterator.next(value);
            times.set(name, (times.get(name) ?? 0) + performance.now() - started);
            if (result.done === true || ++count % SAMPLE_EVERY === 0) sample();
            return result;
          },
          [Symbol.iterator]() {
            return this;
          },
        };
      };
    }
    let calls = 0;
    const wrapper = function (this: unknown, ...args: unknown[]) {
      const started = performance.now();
      calls++;
      try {
        if (new.target === undefined) return fn.apply(this, args);
        return Reflect.construct(fn, args, new.target === wrapper ? fn : new.target) as unknown;
      } finally {
        times.set(name, (times.get(name) ?? 0) + performance.now() - started);
        if (calls <= 8 || (calls & (calls - 1)) === 0) sample();
      }
    };
    Object.setPrototypeOf(wrapper, fn);
    wrapper.prototype = fn.prototype as object;
    return wrapper;
  };
  const scope = manifest.globals.map((name) => {
    const value = helpers[name];
    return manifest.steps.includes(name) && typeof value === 'function' ? timed(name, value as AnyFunction) : value;
  });
  // The submission's own steps (a function it declares) are rebound in its scope, as the harness
  // rebinds them; `const` ones cannot be, and go untimed.
  const own = manifest.steps.filter((name) => !manifest.globals.includes(name));
  const rebind = own.map((name) => `try { ${name} = __timed(${JSON.stringify(name)}, ${name}); } catch {}`).join('\n');
  const uses = manifest.check_uses ?? [];
  // A string names a global; anything else is a literal.
  const args = (manifest.entry_args ?? []).map((arg) =>
    typeof arg === 'string' ? arg : JSON.stringify(typeof arg === 'object' && arg !== null ? arg.value : arg),
  );
  if (gc !== null) {
    gc();
    baseline = dataSpaces();
  }
  const tail = `return [() => ${manifest.entry_point}(${args.join(', ')}), { ${uses.join(', ')} }];`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const load = new Function('__timed', ...manifest.globals, `${code}\n;${rebind}\n${tail}`) as (...a: unknown[]) => [() => unknown, Record<string, unknown>];
  const [entry, used] = load(timed, ...scope);
  const checker = helpers[check] as (value: unknown, uses: Record<string, unknown>) => { correct: boolean };
  return {
    run() {
      times.clear();
      const started = performance.now();
      const value = entry();
      const between = performance.now();
      sample();
      const correct = checker(value, used).correct;
      const ended = performance.now();
      return {
        pipeline_ms: between - started,
        check_ms: ended - between,
        correct,
        steps: manifest.steps.map((name) => ({ name, duration_ms: times.get(name) ?? 0 })),
        heap_peak_bytes: gc === null ? null : peak,
      };
    },
  };
}

/**
 * Script mode, for a bare run in a fresh process (a cold one-off, or another environment):
 *   node [--expose-gc] bench/bare-pipeline.ts ASSIGNMENT_DIR SOLUTION.js [RUNS] [--independent]
 * Prints one JSON array of BareRun, the first of which ran with nothing warmed up.
 */
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dir, solutionFile, runs = '1', flag] = process.argv.slice(2);
  if (dir === undefined || solutionFile === undefined) {
    process.stderr.write('usage: bare-pipeline.ts ASSIGNMENT_DIR SOLUTION.js [RUNS] [--independent]\n');
    process.exit(2);
  }
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const helpers = readFileSync(join(dir, manifest.helpers), 'utf8');
  const code = readFileSync(solutionFile, 'utf8');
  const results: BareRun[] = [];
  for (let i = 0; i < Number(runs); i++) results.push(loadBare(helpers, code, manifest, flag === '--independent').run());
  process.stdout.write(`${JSON.stringify(results)}\n`);
}
