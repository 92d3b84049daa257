// The exercise's pipeline run bare in plain Node: the assignment's own helpers.js (loaded from
// its source, not copied) and a submission's own process_data, with no sandbox and no
// measurement. Each step is timed with performance.now() around the call, which is all the
// instrumentation there is.
//
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

export interface BareRun {
  /** Wall time of process_data(), steps included. */
  pipeline_ms: number;
  /** Wall time of the assignment's check() on the result. */
  check_ms: number;
  correct: boolean;
  steps: { name: string; duration_ms: number }[];
}

export interface BarePipeline {
  run(): BareRun;
}

type Helpers = Record<string, unknown>;

/**
 * Loads the helpers the way the isolate does (strict function body, the manifest's globals
 * returned), then the submission with those globals in scope as parameters. Every call makes
 * fresh closures: new functions with no type feedback, as in a fresh isolate (V8 may still reuse
 * the compiled bytecode).
 */
export function loadBare(helpersSource: string, code: string, globals: string[], steps: string[], check: string, entry = 'process_data'): BarePipeline {
  const exported = [...globals, check];
  // The point of the bare run: the same source, compiled by plain Node, outside any sandbox.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval, @typescript-eslint/no-unsafe-call
  const helpers = new Function(`'use strict';\n${helpersSource}\nreturn { ${exported.join(', ')} };`)() as Helpers;
  const times = new Map<string, number>();
  const scope = globals.map((name) => {
    const value = helpers[name];
    if (!steps.includes(name) || typeof value !== 'function') return value;
    const fn = value as (...args: unknown[]) => unknown;
    return (...args: unknown[]) => {
      const started = performance.now();
      try {
        return fn(...args);
      } finally {
        times.set(name, (times.get(name) ?? 0) + performance.now() - started);
      }
    };
  });
  // eslint-disable-next-line @typescript-eslint/no-implied-eval, @typescript-eslint/no-unsafe-call
  const process = new Function(...globals, `${code}\n;return ${entry};`)(...scope) as () => unknown;
  const checker = helpers[check] as (value: unknown) => { correct: boolean };
  return {
    run() {
      times.clear();
      const started = performance.now();
      const value = process();
      const between = performance.now();
      const correct = checker(value).correct;
      const ended = performance.now();
      return {
        pipeline_ms: between - started,
        check_ms: ended - between,
        correct,
        steps: steps.map((name) => ({ name, duration_ms: times.get(name) ?? 0 })),
      };
    },
  };
}

/**
 * Script mode, for a bare run in a fresh process (a cold one-off, or another environment):
 *   node bench/bare-pipeline.ts ASSIGNMENT_DIR SOLUTION.js [RUNS]
 * Prints one JSON array of BareRun, the first of which ran with nothing warmed up.
 */
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dir, solutionFile, runs = '1'] = process.argv.slice(2);
  if (dir === undefined || solutionFile === undefined) {
    process.stderr.write('usage: bare-pipeline.ts ASSIGNMENT_DIR SOLUTION.js [RUNS]\n');
    process.exit(2);
  }
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
    helpers: string;
    globals: string[];
    steps: string[];
    check: string;
    entry_point: string;
  };
  const helpers = readFileSync(join(dir, manifest.helpers), 'utf8');
  const code = readFileSync(solutionFile, 'utf8');
  const results: BareRun[] = [];
  for (let i = 0; i < Number(runs); i++) {
    const bare = loadBare(helpers, code, manifest.globals, manifest.steps, manifest.check, manifest.entry_point);
    results.push(bare.run());
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
}
