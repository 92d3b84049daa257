// Who holds each allocation at the peak: read from the V8 inspector while the replayed run is
// paused at the peak sample. Every frame's scopes are listed, and every object found in them
// is handed to the harness's `memgradeFindHeld`, which answers which tracked allocations it
// holds (directly, or through data properties).
import type { InspectorClient } from './inspector.ts';
import type { HolderKind, HolderRecord } from './types.ts';

interface RemoteObject {
  type: string;
  objectId?: string;
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

const SCOPE_KINDS: Record<string, HolderKind | undefined> = {
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

function parameterNames(sourceFromFunctionStart: string): string[] {
  const match = PARAMS.exec(sourceFromFunctionStart);
  if (!match) return [];
  const list = match[1] ?? match[2] ?? '';
  return list
    .split(',')
    .map((p) => p.replace(/=.*$/s, '').replace(/^\.\.\./, '').trim())
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

export interface PausedState {
  /** Allocation id -> what holds it, innermost frame first. */
  held: Map<number, HolderRecord[]>;
  /** The frames outside the harness, innermost first. */
  frames: { function: string; file: string; line: number }[];
}

/** The scripts of a run: the harness's source, and the others with the names they carry. */
export interface RunScripts {
  harness: string;
  /** `lineOffset` as given to compileScript: the inspector's line numbers include it. */
  files: { file: string; source: string; lineOffset: number }[];
}

/** Reads the holders, or answers null when the pause is not the harness's peak pause. */
export async function readHolders(client: InspectorClient, callFrames: CallFrame[], scripts: RunScripts): Promise<PausedState | null> {
  const properties = async (objectId: string) =>
    (await client.send<{ result: PropertyDescriptor[] }>('Runtime.getProperties', { objectId, ownProperties: true })).result;
  const sources = new Map<string, string>();
  const sourceOf = async (scriptId: string) => {
    if (!sources.has(scriptId)) {
      sources.set(scriptId, (await client.send<{ scriptSource: string }>('Debugger.getScriptSource', { scriptId })).scriptSource);
    }
    return sources.get(scriptId)!;
  };

  const scriptOf = async (scriptId: string) => {
    const source = await sourceOf(scriptId);
    if (source === scripts.harness) return null;
    return scripts.files.find((f) => f.source === source) ?? { file: '(eval)', source, lineOffset: 0 };
  };

  const top = callFrames[0];
  if (!top || (await scriptOf(top.location.scriptId)) !== null) return null;
  const topLocal = top.scopeChain.find((s) => s.type === 'local')?.object.objectId;
  const finder = topLocal ? (await properties(topLocal)).find((p) => p.name === 'memgradeFindHeld')?.value?.objectId : undefined;
  if (!finder) return null;

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
      for (const prop of await properties(scope.object.objectId)) {
        if (prop.value?.type !== 'object' || !prop.value.objectId) continue;
        const found = await client.send<{ result: { value?: string } }>('Runtime.callFunctionOn', {
          objectId: finder,
          functionDeclaration: 'function (value) { return this(value); }',
          arguments: [{ objectId: prop.value.objectId }],
          returnByValue: true,
        });
        for (const entry of (found.result.value ?? '').split('\n')) {
          if (entry === '') continue;
          const [path, id] = entry.split('\t');
          const kind: HolderKind = path !== '' ? 'property' : baseKind === 'local' && params.includes(prop.name) ? 'parameter' : baseKind;
          const holder: HolderRecord = {
            name: `${prop.name}${path}`,
            kind,
            function: shared ? '(top level)' : fn,
            file: shared ? null : file,
            line: shared ? null : line,
          };
          const list = held.get(Number(id)) ?? [];
          list.push(holder);
          held.set(Number(id), list);
        }
      }
    }
  }
  return { held, frames };
}
