// Who holds the JS heap at the peak, read while a replay is paused at the peak sample: a heap
// snapshot (heap-snapshot.ts), and every variable the submission's and the helpers' frames show
// (locals, parameters, closures, top-level bindings) charged what it alone keeps alive. What no
// variable keeps but the stack does is a temporary: a value being passed between calls, which
// V8's interpreter keeps in registers that the inspector does not show.
import { SUBMISSION_FILE } from './constants.ts';
import { dominators, largestPath, nodesOfIds, retainerPath, SnapshotReader, type Dominators, type SnapshotGraph } from './heap-snapshot.ts';
import { parameterNames, SCOPE_KINDS, type CallFrame, type PausedState, type ScriptOf } from './holders.ts';
import type { InspectorClient } from './inspector.ts';
import { LIST_LIMITS } from './list-limits.ts';
import { cutText, TEXT_LIMITS } from './text-limits.ts';
import type { HeapHolderRecord, HolderKind } from './types.ts';

/** Each holder sent keeps at least MIN_SHARE of the heap's peak. */
const MIN_SHARE = 1 / 50;
/** Variables looked up in the snapshot, at most. */
const MAX_VARIABLES = 2000;

// Runs in the isolate on a scope object: the variables whose values are objects or functions (no
// primitive crosses to the host: a string or a BigInt would be sent whole), in an object of their
// own, so that Runtime.getProperties answers their object ids. On the global object, only the
// submission's own declarations (enumerable, not the helpers': `skip`).
const OBJECT_VALUES = `function (scope, skip) {
  const out = Object.create(null);
  const keys = scope === globalThis ? Object.keys(scope).filter((k) => !skip.includes(k)) : Object.getOwnPropertyNames(scope);
  for (const k of keys) {
    let v;
    try { v = scope[k]; } catch { continue; }
    if (v !== null && (typeof v === 'object' || typeof v === 'function')) out[k] = v;
  }
  return out;
}`;

interface Variable {
  name: string;
  kind: HolderKind;
  function: string;
  file: string | null;
  line: number | null;
  objectId: string;
  snapshotId: number;
}

/**
 * Takes the snapshot and names who keeps the heap alive. `skipGlobals`: names of the global
 * object that are not the submission's (the helpers'). `heapBytes`: the peak's heap part, which
 * sets the smallest share worth naming.
 *
 * The largest objects are the ones the dominator tree gives, largest first, each not inside one
 * taken already, engine objects left out. Each is charged to the nearest variable that reaches
 * it (a walk back along its retainers), with the path from the variable down to where most of
 * the memory is; reached by the stack's roots first, to a temporary of the innermost frame of
 * the submission's. A dominator alone would not do: the harness holds the submission's steps
 * too (it wraps them), so what a class holds is dominated by no variable of the submission's.
 */
export async function readHeapHolders(
  client: InspectorClient,
  callFrames: CallFrame[],
  frames: PausedState['frames'],
  scriptOf: ScriptOf,
  skipGlobals: string[],
  heapBytes: number,
): Promise<HeapHolderRecord[]> {
  await client.send('HeapProfiler.enable');
  const variables = await scopeVariables(client, callFrames, scriptOf, skipGlobals);
  const reader = new SnapshotReader();
  client.on('HeapProfiler.addHeapSnapshotChunk', (params) => reader.write((params as { chunk: string }).chunk));
  try {
    await client.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue: false });
  } finally {
    client.off('HeapProfiler.addHeapSnapshotChunk');
  }
  // An object has a snapshot id once a snapshot has seen it: asked before, V8 answers 0.
  for (const variable of variables) {
    const { heapSnapshotObjectId } = await client.send<{ heapSnapshotObjectId: string }>('HeapProfiler.getHeapObjectId', { objectId: variable.objectId });
    variable.snapshotId = Number(heapSnapshotObjectId);
  }
  await client.send('HeapProfiler.disable');
  const graph = reader.finish();
  const tree = dominators(graph);
  const nodeOf = nodesOfIds(graph, new Set(variables.map((v) => v.snapshotId)));
  const byNode = new Map<number, Variable>();
  for (const variable of variables) {
    const node = nodeOf.get(variable.snapshotId);
    if (node !== undefined && !byNode.has(node)) byNode.set(node, variable);
  }
  const smallest = Math.max(4096, heapBytes * MIN_SHARE);
  const stackRoots = findNode(graph, (type, name) => type === 'synthetic' && name.startsWith('(Stack roots'));
  const frame = frames.find((f) => f.file === SUBMISSION_FILE) ?? frames[0];
  const charged = new Map<string, HeapHolderRecord>();
  const temporary = new Map<string, number>();
  for (const node of largestObjects(graph, tree, smallest)) {
    const bytes = tree.retained[node];
    const found = retainerPath(graph, tree, node, byNode, stackRoots);
    const name = graph.strings[graph.nodes[node * graph.nodeFields + graph.meta.node_fields.indexOf('name')]];
    if (found === 'stack') {
      temporary.set(name, (temporary.get(name) ?? 0) + 1);
      const fn = frame?.function ?? '(top level)';
      const held = charged.get('') ?? {
        name: `a temporary of ${fn}`,
        kind: 'temporary',
        function: fn,
        file: frame?.file ?? null,
        line: frame?.line ?? null,
        path: '',
        bytes: 0,
      };
      held.bytes += bytes;
      held.path = ` (${[...temporary].map(([what, count]) => `${count} ${what}`).join(', ')})`;
      charged.set('', held);
    } else if (found !== null) {
      const { snapshotId: _, objectId: __, ...where } = byNode.get(found.holder)!;
      const key = `${where.kind} ${where.function} ${where.name}`;
      const held = charged.get(key) ?? { ...where, path: `${found.path}${largestPath(graph, tree, node)}`, bytes: 0 };
      held.bytes += bytes;
      charged.set(key, held);
    }
  }
  return [...charged.values()]
    .map((h) => ({ ...h, name: cutText(h.name, TEXT_LIMITS.name), path: cutText(h.path, TEXT_LIMITS.name) }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, LIST_LIMITS.heapHolders);
}

/** The first node `test` takes, or -1. */
function findNode(g: SnapshotGraph, test: (type: string, name: string) => boolean): number {
  const typeField = g.meta.node_fields.indexOf('type');
  const nameField = g.meta.node_fields.indexOf('name');
  const types = g.meta.node_types[0];
  for (let v = 0; v < g.nodeCount; v++) {
    if (test(types[g.nodes[v * g.nodeFields + typeField]], g.strings[g.nodes[v * g.nodeFields + nameField]])) return v;
  }
  return -1;
}

/** Kinds of node that are the engine's, not values of the program's. */
const ENGINE_TYPES = new Set(['synthetic', 'hidden', 'code', 'native', 'object shape']);

/**
 * Objects of the program's that keep at least `smallest` alive, largest first, none inside
 * (dominated by) another one listed, up to a few more than are sent.
 */
function largestObjects(g: SnapshotGraph, tree: Dominators, smallest: number): number[] {
  const typeField = g.meta.node_fields.indexOf('type');
  const nameField = g.meta.node_fields.indexOf('name');
  const types = g.meta.node_types[0];
  const candidates: number[] = [];
  for (let v = 1; v < g.nodeCount; v++) if (tree.retained[v] >= smallest) candidates.push(v);
  candidates.sort((a, b) => tree.retained[b] - tree.retained[a]);
  const taken = new Set<number>();
  const out: number[] = [];
  for (const v of candidates) {
    if (out.length >= 4 * LIST_LIMITS.heapHolders) break;
    const at = v * g.nodeFields;
    const name = g.strings[g.nodes[at + nameField]];
    if (ENGINE_TYPES.has(types[g.nodes[at + typeField]]) || name.startsWith('system /') || name.startsWith('(')) continue;
    let inside = false;
    for (let up = tree.idom[v], steps = 0; up > 0 && steps < 10_000; up = tree.idom[up], steps++) {
      if (taken.has(up)) {
        inside = true;
        break;
      }
    }
    if (inside) continue;
    taken.add(v);
    out.push(v);
  }
  return out;
}

/** The variables of every frame of the submission's or the helpers', innermost first, then the
 * top-level bindings (which a pause at the end of the run, with no frame of theirs, still shows). */
async function scopeVariables(client: InspectorClient, callFrames: CallFrame[], scriptOf: ScriptOf, skipGlobals: string[]): Promise<Variable[]> {
  const out: Variable[] = [];
  const sharedDone = new Set<string>();
  for (const frame of callFrames) {
    const script = await scriptOf(frame.location.scriptId);
    const fn = cutText(frame.functionName || '(anonymous)', TEXT_LIMITS.name);
    const line = frame.location.lineNumber + 1;
    const params =
      script === null || frame.functionLocation === undefined ? [] : parameterNames(sourceFrom(script.source, frame.functionLocation, script.lineOffset));
    for (const scope of frame.scopeChain) {
      const kind = SCOPE_KINDS[scope.type];
      const objectId = scope.object.objectId;
      if (kind === undefined || objectId === undefined) continue;
      const shared = kind === 'global' || kind === 'module';
      // A frame of the harness's: only the bindings every script shares are the submission's.
      if (script === null && !shared) continue;
      if (shared) {
        if (sharedDone.has(scope.type)) continue;
        sharedDone.add(scope.type);
      }
      const values = await client.send<{ result: { objectId?: string } }>('Runtime.callFunctionOn', {
        objectId,
        functionDeclaration: OBJECT_VALUES,
        arguments: [{ objectId }, { value: skipGlobals }],
      });
      if (values.result.objectId === undefined) continue;
      const props = await client.send<{ result: { name: string; value?: { objectId?: string } }[] }>('Runtime.getProperties', {
        objectId: values.result.objectId,
        ownProperties: true,
      });
      for (const prop of props.result) {
        if (out.length >= MAX_VARIABLES) return out;
        const id = prop.value?.objectId;
        if (id === undefined) continue;
        out.push({
          name: cutText(prop.name, TEXT_LIMITS.name),
          kind: kind === 'local' && params.includes(prop.name) ? 'parameter' : kind,
          function: shared ? '(top level)' : fn,
          file: shared || script === null ? null : script.file,
          line: shared ? null : line,
          objectId: id,
          snapshotId: 0,
        });
      }
    }
  }
  return out;
}

function sourceFrom(source: string, at: { lineNumber: number; columnNumber: number }, lineOffset: number): string {
  let offset = 0;
  for (let i = 0; i < at.lineNumber - lineOffset && offset >= 0; i++) offset = source.indexOf('\n', offset) + 1;
  return source.slice(offset + at.columnNumber, offset + at.columnNumber + 500);
}
