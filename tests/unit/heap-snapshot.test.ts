// The heap snapshot's reader and its graph (src/sandbox-host/heap-snapshot.ts) on a made-up
// snapshot in V8's format: a class whose prototype's method keeps a cache in its closure, held
// both by the submission's top-level binding and by the harness (as the harness's step wrapper
// does), and a list that only the stack keeps.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dominators, largestPath, nodesOfIds, retainerPath, SnapshotReader } from '../../src/sandbox-host/heap-snapshot.ts';

const NODE_TYPES = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic'];
const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'];
const strings = [
  ...['', '(root)', '(Stack roots)', 'global', 'Algorithms', 'Object', 'factorial_plus', 'system / Context'],
  ...['Map', 'Array', 'harness', 'prototype', 'context', 'memo', 'fn'],
];
const S = (s: string) => strings.indexOf(s);
// [type, name, id, self_size]
const nodeList: [string, string, number, number][] = [
  ['synthetic', '(root)', 1, 0], // 0
  ['synthetic', '(Stack roots)', 3, 0], // 1
  ['object', 'global', 5, 100], // 2
  ['closure', 'Algorithms', 7, 50], // 3: the class (the binding's value)
  ['object', 'Object', 9, 40], // 4: its prototype
  ['closure', 'factorial_plus', 11, 60], // 5: the method the cache replaced
  ['hidden', 'system / Context', 13, 30], // 6: that method's closure
  ['object', 'Map', 15, 6000], // 7: the cache
  ['array', 'Array', 17, 3000], // 8: a list on the stack
  ['closure', 'harness', 19, 20], // 9: the harness, which keeps the class too
];
// [from, type, name (string or index), to]
const edgeList: [number, string, string | number, number][] = [
  [0, 'element', 1, 1],
  [0, 'element', 2, 2],
  [0, 'element', 3, 9],
  [1, 'element', 1, 8],
  [2, 'property', 'Algorithms', 3],
  [3, 'property', 'prototype', 4],
  [4, 'property', 'factorial_plus', 5],
  [5, 'internal', 'context', 6],
  [6, 'context', 'memo', 7],
  [9, 'context', 'fn', 3],
  [7, 'weak', 'harness', 9],
];

function snapshotJson(): string {
  const nodeFields = ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'];
  const nodes: number[] = [];
  for (const [i, [type, name, id, size]] of nodeList.entries()) {
    nodes.push(NODE_TYPES.indexOf(type), S(name), id, size, edgeList.filter(([from]) => from === i).length, 0, 0);
  }
  const edges: number[] = [];
  for (const [, type, name, to] of [...edgeList].sort((a, b) => a[0] - b[0])) {
    edges.push(EDGE_TYPES.indexOf(type), typeof name === 'number' ? name : S(name), to * nodeFields.length);
  }
  const meta = { node_fields: nodeFields, edge_fields: ['type', 'name_or_index', 'to_node'], node_types: [NODE_TYPES], edge_types: [EDGE_TYPES] };
  const snapshot = { meta, node_count: nodeList.length, edge_count: edgeList.length, trace_function_count: 0 };
  return JSON.stringify({ snapshot, nodes, edges, samples: [], locations: [], strings });
}

test('the reader takes the snapshot in chunks of any size, cut anywhere, even inside a number', () => {
  const text = snapshotJson();
  const whole = new SnapshotReader();
  whole.write(text);
  const expected = whole.finish();
  for (const size of [1, 2, 3, 7, 64]) {
    const reader = new SnapshotReader();
    for (let at = 0; at < text.length; at += size) reader.write(text.slice(at, at + size));
    const graph = reader.finish();
    assert.deepEqual([...graph.nodes], [...expected.nodes], `chunks of ${size}`);
    assert.deepEqual([...graph.edges], [...expected.edges], `chunks of ${size}`);
    assert.deepEqual(graph.strings, strings);
  }
  assert.equal(expected.nodeCount, nodeList.length);
  assert.equal(expected.firstEdge[nodeList.length], edgeList.length * 3);
});

test('a snapshot cut short is refused', () => {
  const reader = new SnapshotReader();
  reader.write(snapshotJson().slice(0, 300));
  assert.throws(() => reader.finish(), /ended early/);
});

test('retained sizes follow the dominator tree over strong edges; a weak edge keeps nothing', () => {
  const reader = new SnapshotReader();
  reader.write(snapshotJson());
  const graph = reader.finish();
  const tree = dominators(graph);
  // The class is held by the global object and by the harness: the root dominates it.
  assert.equal(tree.idom[3], 0);
  assert.equal(tree.retained[3], 50 + 40 + 60 + 30 + 6000);
  assert.equal(tree.retained[5], 60 + 30 + 6000);
  assert.equal(tree.retained[9], 20, 'the cache holds the harness only weakly');
  assert.equal(tree.retained[0], nodeList.reduce((sum, [, , , size]) => sum + size, 0));
  assert.deepEqual(nodesOfIds(graph, new Set([7, 15, 999])), new Map([[7, 3], [15, 7]]));
});

test('the holder of a large object is the nearest variable back along its retainers, with the path down to it', () => {
  const reader = new SnapshotReader();
  reader.write(snapshotJson());
  const graph = reader.finish();
  const tree = dominators(graph);
  const variables = new Map([[3, 'Algorithms']]);
  assert.deepEqual(retainerPath(graph, tree, 5, variables, 1), { holder: 3, path: '.prototype.factorial_plus' });
  assert.equal(largestPath(graph, tree, 5), ' <closure memo>');
  assert.equal(retainerPath(graph, tree, 8, variables, 1), 'stack', 'the list: no variable, the stack');
  assert.equal(retainerPath(graph, tree, 5, new Map(), 1), null, 'no variable, and not the stack: the engine or the harness');
});
