// Who holds each allocation at the peak: read from the V8 inspector while a run is paused at a
// peak sample. The measured run pauses at each new peak (up to a number of them) and is read
// there; a replay pauses at the peak's sample only when the measured run's read is missing (or
// the JS heap needs a snapshot: heap-holders.ts), see job-runs.ts. Every frame's scopes are
// listed, and every object found in them is handed to the harness's `memgradeFindHeld`, which
// answers which tracked allocations it holds (directly, or through data properties).
import type { InspectorClient } from './inspector.ts';
import { cutText, TEXT_LIMITS } from './text-limits.ts';
import type { HolderKind, HolderRecord } from './types.ts';

interface RemoteObject {
  type: string;
  objectId?: string;
  value?: unknown;
}
interface Scope {
  type: string;
  object: RemoteObject;
}
interface Location {
  scriptId: string;
  lineNumber: number;
  columnNumber: number;
}
export interface CallFrame {
  functionName: string;
  functionLocation?: Location;
  location: Location;
  scopeChain: Scope[];
}
export interface PropertyDescriptor {
  name: string;
  value?: RemoteObject;
}

export const SCOPE_KINDS: Record<string, HolderKind | undefined> = {
  local: 'local',
  block: 'local',
  catch: 'local',
  closure: 'closure',
  script: 'global',
  global: 'global',
  module: 'module',
};

// The parameter list at the start of a function's source: `function f(a, b)`, `(a, b) =>`,
// `a =>`, `async (a) =>`, `name(a) {` for methods.
const PARAMS = /^\s*(?:async\s+)?(?:function\s*\*?\s*[\w$]*\s*|[\w$]+\s*)?\(([^)]*)\)|^\s*(?:async\s+)?([\w$]+)\s*=>/;

export function parameterNames(sourceFromFunctionStart: string): string[] {
  const match = PARAMS.exec(sourceFromFunctionStart);
  if (!match) return [];
  const list = match[1] ?? match[2] ?? '';
  return list
    .split(',')
    .map((p) => p.replace(/=.*$/s, '').trim().replace(/^\.\.\./, ''))
    .filter((p) => /^[\w$]+$/.test(p));
}

function offsetOf(source: string, line: number, column: number): number {
  let offset = 0;
  for (let i = 0; i < line; i++) {
    const next = source.indexOf('\n', offset);
    if (next < 0) return source.length;
    offset = next + 1;
  }
  return offset + column;
}

// Runs in the isolate with the harness's finder as `this`; the finder answers which tracked
// allocations each variable of the scope holds, as lines "variable \t path \t id".
const FIND_IN_SCOPE = 'function (scope) { return this(scope); }';

/** [variable, path, allocation id] of each line the finder returned; malformed lines are left out. */
export function parseFound(text: string): [string, string, number][] {
  const out: [string, string, number][] = [];
  for (const line of text.split('\n')) {
    const parts = line.split('\t');
    if (parts.length !== 3) continue;
    const id = Number(parts[2]);
    if (Number.isInteger(id) && id > 0) out.push([parts[0], parts[1], id]);
  }
  return out;
}

export interface PausedState {
  /** The timeline sample the run was paused at. */
  seq: number;
  /** Allocation id -> what holds it, innermost frame first. */
  held: Map<number, HolderRecord[]>;
  /** The frames outside the harness, innermost first. */
  frames: { function: string; file: string; line: number }[];
}

/** A script of a run as the host knows it; `lineOffset` as given to compileScript. */
export interface RunScript {
  file: string;
  source: string;
  lineOffset: number;
}

/** The script a scriptId names: null for the harness's own. */
export type ScriptOf = (scriptId: string) => Promise<RunScript | null>;

/**
 * Reads the holders while the harness is paused in `pauseAtPeak` (the top frame), or answers
 * null when its locals are not there.
 */
export async function readHolders(client: InspectorClient, callFrames: CallFrame[], scriptOf: ScriptOf): Promise<PausedState | null> {
  const properties = async (objectId: string) =>
    (await client.send<{ result: PropertyDescriptor[] }>('Runtime.getProperties', { objectId, ownProperties: true })).result;

  const top = callFrames[0];
  const topLocal = top?.scopeChain.find((s) => s.type === 'local')?.object.objectId;
  const locals = topLocal ? await properties(topLocal) : [];
  const finder = locals.find((p) => p.name === 'memgradeFindHeld')?.value?.objectId;
  const seq = locals.find((p) => p.name === 'memgradeSeq')?.value?.value;
  if (!finder || typeof seq !== 'number') return null;

  const held = new Map<number, HolderRecord[]>();
  const frames: PausedState['frames'] = [];
  const sharedScopesDone = new Set<string>();
  for (const frame of callFrames) {
    const script = await scriptOf(frame.location.scriptId);
    if (script === null) continue;
    const { file } = script;
    const fn = frame.functionName || '(anonymous)';
    const line = frame.location.lineNumber + 1;
    frames.push({ function: fn, file, line });
    let params: string[] = [];
    if (frame.functionLocation) {
      const { lineNumber, columnNumber } = frame.functionLocation;
      const start = offsetOf(script.source, lineNumber - script.lineOffset, columnNumber);
      params = parameterNames(script.source.slice(start, start + 500));
    }
    for (const scope of frame.scopeChain) {
      const baseKind = SCOPE_KINDS[scope.type];
      if (!baseKind || !scope.object.objectId) continue;
      const shared = scope.type === 'global' || scope.type === 'script' || scope.type === 'module';
      if (shared) {
        if (sharedScopesDone.has(scope.type)) continue;
        sharedScopesDone.add(scope.type);
      }
      // One call per scope: the harness's finder looks at every variable of the scope itself,
      // so that no value crosses to the host (a scope may hold a string of hundreds of MB,
      // which Runtime.getProperties would send whole).
      const found = await client.send<{ result: { value?: string } }>('Runtime.callFunctionOn', {
        objectId: finder,
        functionDeclaration: FIND_IN_SCOPE,
        arguments: [{ objectId: scope.object.objectId }],
        returnByValue: true,
      });
      for (const [name, path, id] of parseFound(found.result.value ?? '')) {
        const kind: HolderKind = path !== '' ? 'property' : baseKind === 'local' && params.includes(name) ? 'parameter' : baseKind;
        const holder: HolderRecord = {
          name: cutText(`${name}${path}`, TEXT_LIMITS.name),
          kind,
          function: shared ? '(top level)' : fn,
          file: shared ? null : file,
          line: shared ? null : line,
        };
        const list = held.get(id) ?? [];
        list.push(holder);
        held.set(id, list);
      }
    }
  }
  return { seq, held, frames };
}
