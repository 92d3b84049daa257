// `npm run docs`: writes the tables of the docs that have a source in the code, between
// `<!-- generated: NAME -->` and `<!-- end: NAME -->` (indented as the markers are, so that a
// block may sit in a list item): the configuration table from the Env schema (src/config.ts), the
// error table from API_ERRORS (src/errors.ts), the formats from the reporters' registry
// (src/report/registry.ts) and the service's formats (src/http/schemas.ts), the webhook schedule
// from SCHEDULE_MS (src/webhooks/deliverer.ts) and the manifest's fields from its schema.
// tests/unit/docs.test.ts fails when a committed doc differs from what this writes.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { Env } from '../src/config.ts';
import { API_ERRORS } from '../src/errors.ts';
import { SCHEDULE_MS } from '../src/webhooks/deliverer.ts';
import { Manifest } from '../src/grading/assignments.ts';
import { RESULT_FORMATS } from '../src/http/schemas.ts';
import { FORMATS, mediaTypes, REPORTERS } from '../src/report/index.ts';

const SERVICE_DOC = new URL('../docs/service.md', import.meta.url);
const CLASSROOM_DOC = new URL('../docs/classroom.md', import.meta.url);
const AUTHORING_DOC = new URL('../docs/authoring.md', import.meta.url);

function configTable(): string {
  const rows = Object.entries(Env.properties as Record<string, TSchema>).map(([name, schema]) => {
    const fallback = schema.default === '' ? 'empty' : `\`${String(schema.default)}\``;
    return `| \`${name}\` | ${fallback} | ${String(schema.description)} |`;
  });
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

function errorTable(): string {
  const rows = Object.entries(API_ERRORS).map(
    ([code, e]) => `| ${e.status} | \`${code}\` | ${e.when}${'retryAfter' in e ? '; `Retry-After`' : ''} |`,
  );
  return ['| status | `error` | when |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The formats of the registry, each with the media type the service serves it as, if it does. */
function formatTable(): string {
  const rows = FORMATS.map((f) => {
    const [type, ...also] = mediaTypes(REPORTERS[f]);
    const served = RESULT_FORMATS.includes(f)
      ? `\`${type}\`${also.map((t) => ` (\`Accept: ${t}\` too)`).join('')}`
      : "(command line; in the service, the submission's `result`)";
    return `| \`${f}\` | ${served} | ${REPORTERS[f].description} |`;
  });
  return ['| format | media type (service) | what it is |', '| --- | --- | --- |', ...rows].join('\n');
}

/** A duration as the docs write it, in its largest units: 5 s, 30 min, 24 h, 75 h 35 min. */
export function duration(ms: number): string {
  const units: [string, number][] = [['h', 36e5], ['min', 6e4], ['s', 1e3]];
  let rest = Math.round(ms);
  const parts: string[] = [];
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count} ${unit}`);
    rest -= count * size;
  }
  return parts.join(' ') || '0 s';
}

const listed = (items: string[]) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

/** When a webhook delivery is tried: the deliverer's own table, in words. */
function webhookSchedule(): string {
  const [first, ...retries] = SCHEDULE_MS;
  const [next, ...later] = retries.map(duration);
  const whole = retries.reduce((sum, ms) => sum + ms, 0);
  return [
    `The first try is made ${first === 0 ? 'at once' : `${duration(first)} after`} when the submission is graded.`,
    `A try that fails is made again ${next} later, then ${listed(later)} after the try before:`,
    `${retries.length} retries, ${SCHEDULE_MS.length} tries in all, the last ${duration(whole)} after the first.`,
    `A receiver that answers with a longer \`Retry-After\` is given that wait instead, up to ${duration(SCHEDULE_MS[SCHEDULE_MS.length - 1])}.`,
  ].join('\n');
}

/** A manifest field's type in words, from its TypeBox schema. */
function typeOf(schema: TSchema): string {
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as TSchema[]).map(typeOf).join(' or ');
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  switch (schema.type) {
    case 'string':
      // A name of JavaScript (Identifier), or a path of them (a step), as the schema's patterns say.
      if (typeof schema.pattern === 'string' && schema.pattern.startsWith('^[A-Za-z_$]')) return schema.pattern.includes('\\.') ? 'name or path' : 'name';
      return 'string';
    case 'integer':
      return schema.minimum === undefined ? 'integer' : `integer >= ${String(schema.minimum)}`;
    case 'number':
      return schema.minimum === undefined ? 'number' : `number >= ${String(schema.minimum)}`;
    case 'array':
      return `array of ${typeOf(schema.items as TSchema)}`;
    case 'object':
      return schema.patternProperties === undefined ? 'object' : 'object, by NAME';
    case undefined:
      return 'any JSON';
    default:
      return String(schema.type);
  }
}

/**
 * The manifest's fields, one row each, nested ones by their path (`limits.peak_bytes`; a
 * record's by NAME: `solutions.NAME.file`), from the Manifest schema (src/grading/assignments.ts).
 */
function manifestTable(): string {
  const rows: string[] = [];
  const visit = (schema: TSchema, path: string, required: boolean) => {
    const description = typeof schema.description === 'string' ? schema.description.replace(/\|/g, '\\|') : '';
    rows.push(`| \`${path}\` | ${typeOf(schema)} | ${required ? 'yes' : 'no'} | ${description} |`);
    const record = schema.patternProperties as Record<string, TSchema> | undefined;
    const fields = (record === undefined ? schema.properties : { NAME: Object.values(record)[0] }) as Record<string, TSchema> | undefined;
    if (schema.type !== 'object' || fields === undefined) return;
    const needed = new Set<string>(record === undefined ? ((schema.required as string[] | undefined) ?? []) : ['NAME']);
    for (const [name, field] of Object.entries(fields)) {
      if (record !== undefined) {
        // A record's entries are objects of their own: their fields, under NAME.
        const entry = field.properties as Record<string, TSchema>;
        const entryRequired = new Set((field.required as string[] | undefined) ?? []);
        for (const [inner, innerField] of Object.entries(entry)) visit(innerField, `${path}.NAME.${inner}`, entryRequired.has(inner));
      } else {
        visit(field, `${path}.${name}`, needed.has(name));
      }
    }
  };
  const top = Manifest.properties as Record<string, TSchema>;
  const required = new Set<string>(Manifest.required ?? []);
  for (const [name, field] of Object.entries(top)) visit(field, name, required.has(name));
  return ['| field | type | required | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** Each generated block: the file it is in, and its content. */
export const GENERATED: { file: URL; name: string; render: () => string }[] = [
  { file: SERVICE_DOC, name: 'configuration', render: configTable },
  { file: SERVICE_DOC, name: 'errors', render: errorTable },
  { file: CLASSROOM_DOC, name: 'formats', render: formatTable },
  { file: CLASSROOM_DOC, name: 'webhook-schedule', render: webhookSchedule },
  { file: AUTHORING_DOC, name: 'manifest', render: manifestTable },
];

const block = (name: string) => new RegExp(`^([ \\t]*)(<!-- generated: ${name} -->\\n)(?:[\\s\\S]*?\\n)?[ \\t]*(<!-- end: ${name} -->)`, 'm');

/** The text of `file` with its generated blocks rewritten; throws if a block's markers are missing. */
export function regenerated(file: URL): string {
  let text = readFileSync(file, 'utf8');
  for (const g of GENERATED.filter((g) => g.file.href === file.href)) {
    if (!block(g.name).test(text)) throw new Error(`${file.pathname} has no block "${g.name}"`);
    text = text.replace(block(g.name), (_all, indent: string, open: string, close: string) => {
      const lines = g.render().split('\n').map((line) => (line === '' ? line : `${indent}${line}`));
      return `${indent}${open}${lines.join('\n')}\n${indent}${close}`;
    });
  }
  return text;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const file of new Set(GENERATED.map((g) => g.file.href))) {
    writeFileSync(new URL(file), regenerated(new URL(file)));
    process.stdout.write(`wrote ${new URL(file).pathname}\n`);
  }
}
