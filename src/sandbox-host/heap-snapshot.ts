// Who holds the JS heap at the peak: a heap snapshot taken through the inspector while a run is
// paused there, read as it streams in (the numbers straight into typed arrays: a snapshot of a
// heap of 600 MB is about 100 MB of JSON, which parsed whole would take the process past its
// memory bound), then its dominator tree (Cooper, Harvey and Kennedy's iteration), which gives
// each object the memory it alone keeps alive: its retained size. The variables the paused
// frames show are found in it by their snapshot ids, and each is charged what it retains.

/** The parts of V8's snapshot format (HeapSnapshotJSONSerializer) this reads. */
interface Meta {
  node_fields: string[];
  edge_fields: string[];
  node_types: [string[]];
  edge_types: [string[]];
}

export interface SnapshotGraph {
  nodeCount: number;
  nodeFields: number;
  edgeFields: number;
  nodes: Uint32Array;
  edges: Uint32Array;
  /** Per node, where its edges start in `edges` (nodeCount + 1 entries). */
  firstEdge: Uint32Array;
  strings: string[];
  meta: Meta;
}

/** Reads the snapshot's chunks as they come: the header and strings as JSON, the numbers by hand. */
export class SnapshotReader {
  private text = '';
  private phase: 'header' | 'nodes' | 'between' | 'edges' | 'tail' = 'header';
  private meta: Meta | null = null;
  private nodes = new Uint32Array(0);
  private edges = new Uint32Array(0);
  private filled = 0;
  private number = -1;

  write(chunk: string): void {
    this.text += chunk;
    for (;;) {
      if (this.phase === 'header') {
        const at = this.text.indexOf('"nodes":[');
        if (at < 0) return;
        const header = JSON.parse(`${this.text.slice(0, at).replace(/,\s*$/, '')}}`) as {
          snapshot: { meta: Meta; node_count: number; edge_count: number };
        };
        this.meta = header.snapshot.meta;
        this.nodes = new Uint32Array(header.snapshot.node_count * this.meta.node_fields.length);
        this.edges = new Uint32Array(header.snapshot.edge_count * this.meta.edge_fields.length);
        this.text = this.text.slice(at + '"nodes":['.length);
        this.phase = 'nodes';
      } else if (this.phase === 'nodes' || this.phase === 'edges') {
        const into = this.phase === 'nodes' ? this.nodes : this.edges;
        const end = this.numbers(into);
        if (end < 0) {
          this.text = '';
          return;
        }
        this.text = this.text.slice(end + 1);
        if (this.filled !== into.length) throw new Error(`heap snapshot: ${this.phase} has ${this.filled} numbers, not ${into.length}`);
        this.filled = 0;
        this.phase = this.phase === 'nodes' ? 'between' : 'tail';
      } else if (this.phase === 'between') {
        const at = this.text.indexOf('"edges":[');
        if (at < 0) return;
        this.text = this.text.slice(at + '"edges":['.length);
        this.phase = 'edges';
      } else {
        return;
      }
    }
  }

  /** Reads numbers from `text` into `into` up to a `]`: its offset, or -1 when the text ran out. */
  private numbers(into: Uint32Array): number {
    const text = this.text;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        this.number = (this.number < 0 ? 0 : this.number * 10) + (c - 48);
        continue;
      }
      if (this.number >= 0) {
        into[this.filled++] = this.number;
        this.number = -1;
      }
      if (c === 93) return i;
    }
    return -1;
  }

  finish(): SnapshotGraph {
    if (this.phase !== 'tail' || this.meta === null) throw new Error('heap snapshot: it ended early');
    const at = this.text.indexOf('"strings":[');
    if (at < 0) throw new Error('heap snapshot: no strings');
    const tail = this.text.slice(at + '"strings":'.length).replace(/\}\s*$/, '');
    const strings = JSON.parse(tail) as string[];
    const nodeFields = this.meta.node_fields.length;
    const edgeFields = this.meta.edge_fields.length;
    const nodeCount = this.nodes.length / nodeFields;
    const edgeCountField = this.meta.node_fields.indexOf('edge_count');
    const firstEdge = new Uint32Array(nodeCount + 1);
    for (let i = 0, e = 0; i < nodeCount; i++) {
      firstEdge[i] = e;
      e += this.nodes[i * nodeFields + edgeCountField] * edgeFields;
      firstEdge[i + 1] = e;
    }
    return { nodeCount, nodeFields, edgeFields, nodes: this.nodes, edges: this.edges, firstEdge, strings, meta: this.meta };
  }
}

export interface Dominators {
  /** Per node, the bytes it alone keeps alive (itself included). */
  retained: Float64Array;
  /** Per node, its immediate dominator (-1: unreachable). */
  idom: Int32Array;
  /** Per node, the nodes that hold it by a strong edge: preds[predStart[v]] to preds[predStart[v + 1] - 1]. */
  preds: Uint32Array;
  predStart: Uint32Array;
}

/** The dominator tree from the root (node 0) over strong edges (not weak, not shortcut ones). */
export function dominators(g: SnapshotGraph): Dominators {
  const { nodeCount: n, nodeFields: nf, edgeFields: ef, nodes, edges, firstEdge } = g;
  const typeField = g.meta.edge_fields.indexOf('type');
  const toField = g.meta.edge_fields.indexOf('to_node');
  const sizeField = g.meta.node_fields.indexOf('self_size');
  const edgeTypes = g.meta.edge_types[0];
  const weak = edgeTypes.indexOf('weak');
  const shortcut = edgeTypes.indexOf('shortcut');
  const strong = (e: number) => edges[e + typeField] !== weak && edges[e + typeField] !== shortcut;

  // Postorder of a depth-first walk from the root.
  const order = new Int32Array(n).fill(-1);
  const post = new Uint32Array(n);
  let posts = 0;
  const cursor = firstEdge.slice(0, n);
  const visited = new Uint8Array(n);
  const stack = new Uint32Array(n);
  let depth = 0;
  stack[depth++] = 0;
  visited[0] = 1;
  while (depth > 0) {
    const v = stack[depth - 1];
    let pushed = false;
    while (cursor[v] < firstEdge[v + 1]) {
      const e = cursor[v];
      cursor[v] += ef;
      if (!strong(e)) continue;
      const w = edges[e + toField] / nf;
      if (visited[w] === 0) {
        visited[w] = 1;
        stack[depth++] = w;
        pushed = true;
        break;
      }
    }
    if (!pushed) {
      depth--;
      order[v] = posts;
      post[posts++] = v;
    }
  }

  // Predecessors along strong edges, between reachable nodes.
  const predStart = new Uint32Array(n + 1);
  for (let v = 0; v < n; v++) {
    if (visited[v] === 0) continue;
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += ef) if (strong(e)) predStart[edges[e + toField] / nf + 1]++;
  }
  for (let i = 0; i < n; i++) predStart[i + 1] += predStart[i];
  const preds = new Uint32Array(predStart[n]);
  const fill = predStart.slice(0, n);
  for (let v = 0; v < n; v++) {
    if (visited[v] === 0) continue;
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += ef) if (strong(e)) preds[fill[edges[e + toField] / nf]++] = v;
  }

  const idom = new Int32Array(n).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (order[a] < order[b]) a = idom[a];
      while (order[b] < order[a]) b = idom[b];
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = posts - 2; k >= 0; k--) {
      const v = post[k];
      let d = -1;
      for (let p = predStart[v]; p < predStart[v + 1]; p++) {
        const u = preds[p];
        if (idom[u] !== -1) d = d === -1 ? u : intersect(u, d);
      }
      if (d !== -1 && idom[v] !== d) {
        idom[v] = d;
        changed = true;
      }
    }
  }
  const retained = new Float64Array(n);
  for (let v = 0; v < n; v++) retained[v] = nodes[v * nf + sizeField];
  for (let k = 0; k < posts; k++) {
    const v = post[k];
    if (v !== 0 && idom[v] >= 0) retained[idom[v]] += retained[v];
  }
  return { retained, idom, preds, predStart };
}

/** Node indices of the snapshot ids asked for (ids that are not in it are left out). */
export function nodesOfIds(g: SnapshotGraph, ids: Set<number>): Map<number, number> {
  const idField = g.meta.node_fields.indexOf('id');
  const found = new Map<number, number>();
  for (let v = 0; v < g.nodeCount && found.size < ids.size; v++) {
    const id = g.nodes[v * g.nodeFields + idField];
    if (ids.has(id)) found.set(id, v);
  }
  return found;
}

/** The edge from `from` to `to`, named as code would reach it: `.name`, `[i]`, ` <closure name>`. */
function edgeName(g: SnapshotGraph, from: number, to: number): string {
  const typeField = g.meta.edge_fields.indexOf('type');
  const nameField = g.meta.edge_fields.indexOf('name_or_index');
  const toField = g.meta.edge_fields.indexOf('to_node');
  const edgeTypes = g.meta.edge_types[0];
  for (let e = g.firstEdge[from]; e < g.firstEdge[from + 1]; e += g.edgeFields) {
    if (g.edges[e + toField] / g.nodeFields !== to) continue;
    const type = edgeTypes[g.edges[e + typeField]];
    const name = g.edges[e + nameField];
    if (type === 'element' || type === 'hidden') return `[${name}]`;
    if (type === 'context') return ` <closure ${g.strings[name]}>`;
    if (type === 'internal') return '';
    return `.${g.strings[name]}`;
  }
  return '';
}

/**
 * The nearest of `holders` that reaches `node`, walking its retainers back breadth first (up
 * to `budget` nodes), with the path from it down to `node`; else 'stack' when the walk passed
 * the stack's roots; else null (only the engine or the harness hold it).
 */
export function retainerPath(
  g: SnapshotGraph,
  d: Dominators,
  node: number,
  holders: Map<number, unknown>,
  stackRoots: number,
  budget = 200_000,
): { holder: number; path: string } | 'stack' | null {
  const parent = new Map<number, number>([[node, -1]]);
  const queue = [node];
  let stack = false;
  for (let head = 0; head < queue.length && parent.size < budget; head++) {
    const v = queue[head];
    if (holders.has(v)) {
      let path = '';
      for (let at = v, next = parent.get(v)!; next !== -1; at = next, next = parent.get(next)!) path += edgeName(g, at, next);
      return { holder: v, path };
    }
    for (let p = d.predStart[v]; p < d.predStart[v + 1]; p++) {
      const u = d.preds[p];
      if (u === stackRoots) stack = true;
      if (!parent.has(u)) {
        parent.set(u, v);
        queue.push(u);
      }
    }
  }
  return stack ? 'stack' : null;
}

/**
 * The edge from a node down to the child it keeps most of, named as code would reach it, up to
 * `depth` steps while that child keeps at least half of it: `.prototype.factorial_plus` then
 * `<closure memo>`; element edges as `[i]`.
 */
export function largestPath(g: SnapshotGraph, d: Dominators, from: number, depth = 6): string {
  const { nodeFields: nf, edgeFields: ef, edges, firstEdge } = g;
  const typeField = g.meta.edge_fields.indexOf('type');
  const nameField = g.meta.edge_fields.indexOf('name_or_index');
  const toField = g.meta.edge_fields.indexOf('to_node');
  const edgeTypes = g.meta.edge_types[0];
  let path = '';
  let v = from;
  for (let step = 0; step < depth; step++) {
    let best = -1;
    let bestEdge = -1;
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += ef) {
      const w = edges[e + toField] / nf;
      if (d.idom[w] !== v) continue;
      if (best === -1 || d.retained[w] > d.retained[best]) {
        best = w;
        bestEdge = e;
      }
    }
    if (best === -1 || d.retained[best] < d.retained[v] / 2) break;
    const type = edgeTypes[edges[bestEdge + typeField]];
    const name = edges[bestEdge + nameField];
    if (type === 'element' || type === 'hidden') path += `[${name}]`;
    else if (type === 'context') path += ` <closure ${g.strings[name]}>`;
    else if (type === 'internal') {
      if (!/^(elements|table|properties|context)$/.test(g.strings[name])) break;
    } else path += `.${g.strings[name]}`;
    v = best;
  }
  return path;
}
