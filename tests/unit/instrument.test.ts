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
