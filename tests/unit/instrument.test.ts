// The source transform's rebinding of steps (instrument.ts): a top-level `const` that declares a
// step of the submission's own becomes a `let` in place, so the harness can put its wrapper there.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instrument } from '../../src/sandbox-host/instrument.ts';

const code = (source: string, rebind: string[]) => {
  const out = instrument(source, rebind);
  assert.equal(out.ok, true);
  return out.ok === true ? out.instrumented.code : '';
};

test("a top-level const that declares a step becomes a let, in the same columns; nothing else changes", () => {
  const source = 'const fibonacci = (n) => n;\nconst other = 1, keep = 2;\nfunction f() { const fibonacci = 3; return fibonacci; }\n';
  const out = code(source, ['fibonacci']);
  assert.ok(out.startsWith('let   fibonacci = ('), out);
  assert.match(out, /\nconst other = 1, keep = 2;\n/);
  assert.match(out, /const fibonacci = 3;/, 'an inner const is its own binding');
  assert.equal(code('const a = 1, fibonacci = () => a;', ['fibonacci']).slice(0, 6), 'let   ');
  assert.ok(code(source, []).startsWith('const fibonacci'));
});

test('a module is left as it is: its bindings are not rebound', () => {
  assert.match(code('export const fibonacci = (n) => n;', ['fibonacci']), /^export const fibonacci/);
});

// Loops the chunking must leave as they were: each program returns a trace of what it did, run
// once as written and once instrumented (with a batch of iterations far smaller than the loops,
// ticks counted), and the two traces must be equal.
const LOOPS: Record<string, string> = {
  'for, every part': 'const t = []; for (let i = 0; i < 20000; i++) if (i % 4999 === 0) t.push(i); return t;',
  'for, break and continue':
    'const t = []; for (let i = 0; i < 30000; i += 3) { if (i % 2) continue; if (i > 24000) break; if (i % 8192 < 3) t.push(i); } return t;',
  'for, no test': 'let i = 0; for (;;) { if (++i === 17000) break; } return [i];',
  'for, no update, comments': 'let i = 0; for (let j = 0 /* ; */; j < 9000 // ;\n ; ) j += i++ % 3; return [i];',
  'for, var and a sequence': 'const t = []; for (var i = 0, j = 40000; i < j; i++, j--) ; t.push(i, j); return t;',
  'for, test fails exactly at a batch': 'let n = 0; for (let i = 0; i < 16384; i++) n++; return [n];',
  'while': 'let i = 0, s = 0; while (i < 50000) { s += i; i++; } return [s];',
  'while, break at once': 'let i = 0; while (true) { break; } return [i];',
  'nested, labelled continue':
    'const t = []; outer: for (let i = 0; i < 3; i++) { for (let j = 0; j < 20000; j++) { if (j === 9000) continue outer; } t.push(i); } return t;',
  'labelled break out of a chunk': 'let n = 0; out: while (true) { for (let j = 0; ; j++) { n++; if (j === 12000) break out; } } return [n];',
  'closures over the iteration binding': 'const f = []; for (let i = 0; i < 5; i++) f.push(() => i); return f.map((g) => g());',
  'generator inside': 'function* g() { for (let i = 0; i < 9000; i++) if (i % 3000 === 0) yield i; } return [...g()];',
  'do-while, for-of, for-in':
    'let i = 0; do i++; while (i < 10000); const t = [i]; for (const x of [1, 2]) t.push(x); for (const k in { a: 1 }) t.push(k); return t;',
};

test('the chunked loops do what the loops as written do, and tick once per batch', () => {
  for (const [name, body] of Object.entries(LOOPS)) {
    const source = `function run() { ${body} }`;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the programs under test are made-up source text
    const plain = new Function(`${source}; return run();`)() as unknown[];
    let ticks = 0;
    const instrumented = code(source, []);
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- as above, instrumented
    const run = new Function('__memgrade_tick__', '__memgrade_loop__', `${instrumented}; return run();`);
    const traced = run(() => {}, () => ticks++) as unknown[];
    assert.deepEqual(traced, plain, name);
    if (name === 'while') assert.equal(ticks, Math.floor(50000 / 8192), 'one tick per 8,192 iterations');
  }
});

test('a loop is chunked unless it is labelled, makes closures over a per-iteration binding, or is not a for or a while', () => {
  const chunks = (source: string) => code(`function f() { ${source} }`, []).includes('__memgrade_k');
  assert.equal(chunks('for (let i = 0; i < 9; i++) g(i);'), true);
  assert.equal(chunks('while (g()) h();'), true);
  assert.equal(chunks('for (var i = 0; i < 9; i++) g(() => i);'), true, 'a var is one binding anyway');
  assert.equal(chunks('for (let i = 0; i < 9; i++) g(() => i);'), false);
  assert.equal(chunks('a: for (let i = 0; i < 9; i++) g(i);'), false);
  assert.equal(chunks('for (const x of g()) h(x);'), false);
  assert.equal(chunks('do g(); while (h());'), false);
});
