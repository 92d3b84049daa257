// The source transform that lets the harness see the JS heap between allocations of ArrayBuffers,
// as coverage tools insert their counters: a call of TICK at the start of every function body
// of the submission, and a call of LOOP_TICK every SAMPLING.loopBatch iterations of each of its
// loops. The harness counts and looks at the heap every so many (see `tick` in prelude.js).
// A `for` or `while` loop runs in chunks of loopBatch iterations, an inner loop whose test
// also counts, inside an outer one that ticks between chunks:
//   for (init; test; update) body
//   for (init; ; ) { let k = 0; for (; k < B && (test); (update), k++) body if (k !== B) break; LOOP_TICK(); }
// which V8 optimises as it does the loop alone (with the V8 settings of isolated-vm.ts, a
// submission's element loop ran 1.3 times its bare time here, against 2.0 times with a counter
// tested in the body, and 3.5 times with a call in every iteration). The other loops (for-of, for-in, do-while, a labelled loop, whose
// `continue` would skip the update, and a `for (let ...)` whose body makes closures, which
// must each see their own binding) count in a local of the enclosing function instead.
// Nothing is inserted on a line break, so line numbers stay; the columns a stack trace gives
// are mapped back with `originalColumn`.
import { parse, type Node, type Options } from 'acorn';
import { SAMPLING } from './sampling.ts';

/** The harness's globals the inserted calls name. A submission may not use the prefix. */
export const TICK = '__memgrade_tick__';
export const LOOP_TICK = '__memgrade_loop__';
const BATCH = SAMPLING.loopBatch;
const RESERVED_PREFIX = '__memgrade';
const COUNTER = '__memgrade_n';
const CHUNK = '__memgrade_k';
const CALL = `${TICK}();`;
const DECLARE = `let ${COUNTER} = 0;`;
const COUNT = `if ((++${COUNTER} & ${BATCH - 1}) === 0) ${LOOP_TICK}();`;
const CHUNK_END = ` if (${CHUNK} !== ${BATCH}) break; ${LOOP_TICK}(); }`;

export interface Instrumented {
  code: string;
  /** Per line (1-based), the insertions made on it: where in the original line, and how long. */
  insertions: Map<number, { column: number; length: number }[]>;
}

type InstrumentResult = { ok: true; instrumented: Instrumented } | { ok: false; message: string } | { ok: 'unparsed' };

interface Insertion {
  offset: number;
  text: string;
}

const PARSE: Options = { ecmaVersion: 'latest', locations: false, allowHashBang: true };

/** Every child node of `node`, whatever its type. */
function children(node: Node): Node[] {
  const out: Node[] = [];
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) {
      for (const item of value) if (item !== null && typeof item === 'object' && typeof (item as Node).type === 'string') out.push(item as Node);
    } else if (value !== null && typeof value === 'object' && typeof (value as Node).type === 'string') {
      out.push(value as Node);
    }
  }
  return out;
}

type AnyNode = Node & Record<string, unknown>;

/** Whether `node` holds a function or a class: code that can close over a binding. */
function makesClosures(node: Node): boolean {
  const stack = [node as AnyNode];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (/Function|Class/.test(next.type)) return true;
    stack.push(...(children(next) as AnyNode[]));
  }
  return false;
}

/** The offset just past the next `token` from `offset` on, over blanks and comments. */
function past(code: string, offset: number, token: string): number {
  const skipped = /(?:\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*/y;
  skipped.lastIndex = offset;
  skipped.exec(code);
  const at = skipped.lastIndex;
  if (!code.startsWith(token, at)) throw new Error(`instrument: expected ${token} at ${at}`);
  return at + token.length;
}

/** The insertions that run a `for` or `while` loop in chunks (see the top of this file). */
function chunked(code: string, loop: AnyNode): Insertion[] {
  const body = loop.body as AnyNode;
  const test = loop.test as AnyNode | null;
  const count = `${CHUNK} < ${BATCH}`;
  const open = `{ let ${CHUNK} = 0; for (; ${count}`;
  const out: Insertion[] = [];
  if (loop.type === 'WhileStatement') {
    // while (test) body  ->  while (true) { ...for (; k < B && (test); k++) body ... }
    const testStart = past(code, loop.start + 'while'.length, '(');
    out.push({ offset: testStart, text: `true) ${open} && (` }, { offset: test!.end, text: `); ${CHUNK}++` });
  } else {
    const init = loop.init as AnyNode | null;
    const update = loop.update as AnyNode | null;
    const afterInit = past(code, init === null ? past(code, loop.start + 'for'.length, '(') : init.end, ';');
    out.push({ offset: afterInit, text: ` ; ) ${open}${test === null ? '' : ' && ('}` });
    if (test !== null) out.push({ offset: test.end, text: ')' });
    const afterTest = past(code, test === null ? afterInit : test.end, ';');
    if (update === null) out.push({ offset: afterTest, text: ` ${CHUNK}++` });
    else out.push({ offset: update.start, text: '(' }, { offset: update.end, text: `), ${CHUNK}++` });
  }
  out.push({ offset: body.end, text: CHUNK_END });
  return out;
}

/** Where a body's statements start: after its directive prologue ("use strict"). */
function afterDirectives(block: AnyNode): number {
  const body = block.body as AnyNode[];
  let offset = block.type === 'Program' ? block.start : block.start + 1;
  for (const statement of body) {
    if (statement.type !== 'ExpressionStatement' || typeof statement.directive !== 'string') break;
    offset = statement.end;
  }
  return offset;
}

/**
 * A script's top-level `const` declarations of any of `names`, turned into `let` ones ("let" and
 * two spaces: no position moves), so that the harness can rebind them to the wrappers that
 * measure each call (a step that is the submission's own function). The only difference a
 * submission could see: assigning to that binding works instead of throwing.
 */
function constsToLet(code: string, program: AnyNode, names: string[]): string {
  if (names.length === 0 || program.sourceType !== 'script') return code;
  let out = code;
  for (const statement of program.body as AnyNode[]) {
    if (statement.type !== 'VariableDeclaration' || statement.kind !== 'const') continue;
    const declared = (statement.declarations as AnyNode[]).map((d) => d.id as AnyNode);
    if (!declared.some((id) => id.type === 'Identifier' && names.includes(String(id.name)))) continue;
    if (out.slice(statement.start, statement.start + 5) === 'const') {
      out = `${out.slice(0, statement.start)}let  ${out.slice(statement.start + 5)}`;
    }
  }
  return out;
}

/**
 * Inserts the tick calls. Answers `unparsed` for code acorn cannot parse (the isolate's compile
 * then reports the syntax error as V8 words it), and a refusal for what would let a submission
 * reach or shadow the calls: its own names with the reserved prefix, or a `with` statement.
 * `rebind`: names of the submission's functions the harness wraps as steps (constsToLet).
 */
export function instrument(code: string, rebind: string[] = []): InstrumentResult {
  let program: Node;
  try {
    program = parse(code, { ...PARSE, sourceType: 'script' });
  } catch {
    try {
      program = parse(code, { ...PARSE, sourceType: 'module' });
    } catch {
      return { ok: 'unparsed' };
    }
  }
  const insertions: Insertion[] = [];
  // The bodies that get a counter of their own (the program, functions, static blocks): where
  // its declaration goes, once a loop inside needs it.
  const declared = new Set<number>();
  const declareIn = (offset: number) => {
    if (declared.has(offset)) return;
    declared.add(offset);
    insertions.push({ offset, text: DECLARE });
  };
  const labelled = new Set<AnyNode>();
  const stack: [AnyNode, number][] = [[program as AnyNode, afterDirectives(program as AnyNode)]];
  while (stack.length > 0) {
    const [node, owner] = stack.pop()!;
    if ((node.type === 'Identifier' || node.type === 'PrivateIdentifier') && String(node.name).startsWith(RESERVED_PREFIX)) {
      return { ok: false, message: `names starting with ${RESERVED_PREFIX} are reserved by the grader (${String(node.name)})` };
    }
    if (node.type === 'WithStatement') return { ok: false, message: '`with` statements are not supported by the grader' };
    let inner = owner;
    switch (node.type) {
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression': {
        const body = node.body as AnyNode;
        if (body.type === 'BlockStatement') {
          inner = afterDirectives(body);
          insertions.push({ offset: inner, text: CALL });
        } else {
          insertions.push({ offset: body.start, text: `(${TICK}(), ` }, { offset: body.end, text: ')' });
        }
        break;
      }
      case 'StaticBlock':
        inner = node.start + (code.slice(node.start).match(/^static\s*\{/)?.[0].length ?? 0);
        break;
      case 'LabeledStatement':
        labelled.add(node.body as AnyNode);
        break;
      case 'ForStatement':
      case 'WhileStatement': {
        const init = node.init as AnyNode | null | undefined;
        const perIteration = init?.type === 'VariableDeclaration' && init.kind !== 'var';
        if (!labelled.has(node) && !(perIteration && makesClosures(node))) {
          insertions.push(...chunked(code, node));
          break;
        }
      }
      // falls through: counted in the enclosing function's local
      case 'ForInStatement':
      case 'ForOfStatement':
      case 'DoWhileStatement': {
        declareIn(owner);
        const body = node.body as AnyNode;
        if (body.type === 'BlockStatement') insertions.push({ offset: body.start + 1, text: COUNT });
        else insertions.push({ offset: body.start, text: `{ ${COUNT} ` }, { offset: body.end, text: ' }' });
        break;
      }
    }
    for (const child of children(node) as AnyNode[]) stack.push([child, inner]);
  }
  return { ok: true, instrumented: apply(constsToLet(code, program as AnyNode, rebind), insertions) };
}

function apply(code: string, insertions: Insertion[]): Instrumented {
  // Stable: at one offset, a counter's declaration comes before the tick call made there.
  insertions.sort((a, b) => a.offset - b.offset || Number(b.text === DECLARE) - Number(a.text === DECLARE));
  let out = '';
  let at = 0;
  let line = 1;
  let lineStart = 0;
  const perLine = new Map<number, { column: number; length: number }[]>();
  for (const { offset, text } of insertions) {
    const chunk = code.slice(at, offset);
    out += chunk;
    for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', i + 1)) {
      line++;
      lineStart = at + i + 1;
    }
    at = offset;
    out += text;
    const list = perLine.get(line) ?? [];
    list.push({ column: offset - lineStart, length: text.length });
    perLine.set(line, list);
  }
  return { code: out + code.slice(at), insertions: perLine };
}

/** The column (1-based, as stack traces give it) in the original line of one in the instrumented line. */
export function originalColumn(insertions: Instrumented['insertions'], line: number, column: number): number {
  let shift = 0;
  for (const insertion of insertions.get(line) ?? []) {
    if (insertion.column + shift + insertion.length < column) shift += insertion.length;
  }
  return column - shift;
}
