// Who holds what at the peak, from made-up inspector records: the call frames of a paused run,
// and a stand-in client that answers Runtime.getProperties and the harness's finder the way the
// isolate does. No isolate, no inspector session.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parameterNames, parseFound, readHolders, type CallFrame, type RunScript } from '../../src/sandbox-host/holders.ts';
import type { InspectorClient } from '../../src/sandbox-host/inspector.ts';
import { HELPERS_FILE } from './records.ts';

describe('parameterNames', () => {
  test('every way a function can begin', () => {
    assert.deepEqual(parameterNames('function process_data(input, b) {'), ['input', 'b']);
    assert.deepEqual(parameterNames('function* gen(n) {'), ['n']);
    assert.deepEqual(parameterNames('(a, b = 2) => a'), ['a', 'b']);
    assert.deepEqual(parameterNames('(...rest) => rest'), ['rest']);
    assert.deepEqual(parameterNames('a => a'), ['a']);
    assert.deepEqual(parameterNames('async (x) => x'), ['x']);
    assert.deepEqual(parameterNames('async $x => $x'), ['$x']);
    assert.deepEqual(parameterNames('method(a) { return a; }'), ['a']);
    assert.deepEqual(parameterNames('() => 1'), []);
    assert.deepEqual(parameterNames('class A {}'), []);
  });

  // parameterNames strips "..." before it trims, so " ...rest" keeps its dots and is dropped: a
  // rest parameter after another is reported as a local. Passes once holders.ts trims first.
  test('a rest parameter after others is a parameter', () => {
    assert.deepEqual(parameterNames('(a, ...rest) => a'), ['a', 'rest']);
  });

  test('destructured parameters bind no single name, and are left out', () => {
    assert.deepEqual(parameterNames('function f(a, { b }, [c], d) {'), ['a', 'd']);
  });
});

describe('parseFound', () => {
  test('"variable TAB path TAB id" lines; anything else is left out', () => {
    const text = ['d\t\t1', 'state\t.big.data\t2', 'two fields\t3', 'x\t\t0', 'y\t\t-4', 'z\t\t1.5', 'w\t\tabc', 'a\tb\tc\t4', ''].join('\n');
    assert.deepEqual(parseFound(text), [
      ['d', '', 1],
      ['state', '.big.data', 2],
    ]);
    assert.deepEqual(parseFound(''), []);
  });
});

// The helpers as compiled: wrapped in two lines, which lineOffset -2 takes off line numbers.
const HELPERS_SOURCE = [
  '(function () {',
  "'use strict';",
  'const SIZE = 1000;',
  'function double_it(arr, factor = 2) {',
  '  const out = arr.map((x) => x * factor);',
  '  return out;',
  '}',
  'return { SIZE, double_it };',
  '})',
].join('\n');
const SUBMISSION_SOURCE = ['function process_data(input, { a }, ...rest) {', '  const d = load(SIZE);', '  return double_it(d);', '}'].join('\n');
const SCRIPTS: Record<string, RunScript> = {
  helpers: { file: HELPERS_FILE, source: HELPERS_SOURCE, lineOffset: -2 },
  submission: { file: 'submission.js', source: SUBMISSION_SOURCE, lineOffset: 0 },
};
const scriptOf = async (id: string) => SCRIPTS[id] ?? null;

const scope = (type: string, objectId?: string) => ({ type, object: { type: 'object', ...(objectId ? { objectId } : {}) } });
const at = (scriptId: string, lineNumber: number, columnNumber = 0) => ({ scriptId, lineNumber, columnNumber });

/** Paused in the harness's pauseAtPeak, called from double_it, called from process_data. */
const FRAMES: CallFrame[] = [
  { functionName: 'pauseAtPeak', location: at('harness', 700), scopeChain: [scope('local', 'top-local')] },
  {
    functionName: 'double_it',
    functionLocation: at('helpers', 1),
    location: at('helpers', 2, 14),
    scopeChain: [scope('local', 'helper-local'), scope('script', 'script-scope'), scope('global', 'global-scope')],
  },
  {
    functionName: 'process_data',
    functionLocation: at('submission', 0),
    location: at('submission', 2, 9),
    // The script and global scopes come again from every frame: they are read once.
    scopeChain: [
      scope('local', 'pd-local'),
      scope('eval', 'ignored'),
      scope('closure'),
      scope('closure', 'pd-closure'),
      scope('script', 'script-scope'),
      scope('global', 'global-scope'),
    ],
  },
  { functionName: '', location: at('submission', 3), scopeChain: [] },
];

/** What the harness's finder answers for each scope: "variable \t path \t id" lines. */
const FOUND: Record<string, string> = {
  'helper-local': 'arr\t\t2\nfactor\t\t9',
  'script-scope': 'kept\t\t1',
  'global-scope': 'g\t\t3',
  'pd-local': `d\t\t1\ninput\t\t3\nstate\t.big.data\t3\n${'v'.repeat(300)}\t\t9`,
  'pd-closure': 'cache\t\t1',
};

/** The harness frame's locals: the finder it runs in each scope, and the sample it paused at. */
const FINDER = { name: 'memgradeFindHeld', value: { type: 'function', objectId: 'finder' } };
const SEQ = { name: 'memgradeSeq', value: { type: 'number', value: 7 } };

function client(topLocals = [FINDER, SEQ]) {
  const asked: string[] = [];
  const send = async (method: string, params: Record<string, unknown>) => {
    if (method === 'Runtime.getProperties') {
      assert.equal(params.objectId, 'top-local', 'only the harness frame is listed whole');
      return { result: topLocals };
    }
    assert.equal(method, 'Runtime.callFunctionOn');
    assert.equal(params.objectId, 'finder');
    const id = (params.arguments as { objectId: string }[])[0].objectId;
    asked.push(id);
    return { result: { value: FOUND[id] } };
  };
  return { client: { send } as unknown as InspectorClient, asked };
}

describe('readHolders', () => {
  test('each allocation gets its holders, innermost frame first, of the right kind', async () => {
    const { client: c, asked } = client();
    const state = await readHolders(c, FRAMES, scriptOf);
    assert.ok(state);
    assert.equal(state.seq, 7);
    assert.deepEqual(asked, ['helper-local', 'script-scope', 'global-scope', 'pd-local', 'pd-closure']);
    assert.deepEqual(state.frames, [
      { function: 'double_it', file: HELPERS_FILE, line: 3 },
      { function: 'process_data', file: 'submission.js', line: 3 },
      { function: '(anonymous)', file: 'submission.js', line: 4 },
    ]);
    const top = { function: '(top level)', file: null, line: null };
    const inMain = { function: 'process_data', file: 'submission.js', line: 3 };
    assert.deepEqual(state.held.get(1), [
      { name: 'kept', kind: 'global', ...top },
      { name: 'd', kind: 'local', ...inMain },
      { name: 'cache', kind: 'closure', ...inMain },
    ]);
    assert.deepEqual(state.held.get(2), [{ name: 'arr', kind: 'parameter', function: 'double_it', file: HELPERS_FILE, line: 3 }]);
    assert.deepEqual(state.held.get(3), [
      { name: 'g', kind: 'global', ...top },
      { name: 'input', kind: 'parameter', ...inMain },
      { name: 'state.big.data', kind: 'property', ...inMain },
    ]);
  });

  test('a name too long for a result is cut to its bound', async () => {
    const state = await readHolders(client().client, FRAMES, scriptOf);
    const names = state!.held.get(9)!.map((h) => h.name);
    assert.equal(names[0], 'factor');
    assert.equal(names[1], `${'v'.repeat(200)}... [cut: 100 more characters]`);
  });

  test('null when the top frame is not the harness paused at the peak', async () => {
    assert.equal(await readHolders(client([]).client, FRAMES, scriptOf), null);
    const noSeq = client([FINDER]);
    assert.equal(await readHolders(noSeq.client, FRAMES, scriptOf), null);
    assert.deepEqual(noSeq.asked, []);
  });
});
