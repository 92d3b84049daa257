// The source transform that lets the harness see the JS heap between allocations of ArrayBuffers,
// as coverage tools insert their counters: a call of TICK at the start of every function body
// of the submission, and in every loop iteration an increment of a counter local to the
// enclosing function, which calls LOOP_TICK every LOOP_BATCH iterations. The harness counts and
// looks at the heap every so many (see `tick` in prelude.js). A call in every iteration made a
// submission's own element loop 3.5 times slower here; the local counter, about 1.25 times.
// Nothing is inserted on a line break, so line numbers stay; the columns a stack trace gives
// are mapped back with `originalColumn`.
import { parse, type Node, type Options } from 'acorn';

/** The harness's globals the inserted calls name. A submission may not use the prefix. */
export const TICK = '__memgrade_tick__';
export const LOOP_TICK = '__memgrade_loop__';
export const LOOP_BATCH = 8192;
const RESERVED_PREFIX = '__memgrade';
const COUNTER = '__memgrade_n';
const CALL = `${TICK}();`;
const DECLARE = `let ${COUNTER} = 0;`;
const COUNT = `if ((++${COUNTER} & ${LOOP_BATCH - 1}) === 0) ${LOOP_TICK}();`;

export interface Instrumented {
  code: string;
  /** Per line (1-based), the insertions made on it: where in the original line, and how long. */
  insertions: Map<number, { column: number; length: number }[]>;
}

export type InstrumentResult = { ok: true; instrumented: Instrumented } | { ok: false; message: string } | { ok: 'unparsed' };

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
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement':
      case 'WhileStatement':
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
