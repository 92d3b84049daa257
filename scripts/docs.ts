// `npm run docs`: writes the tables of the docs that have a source in the code, between
// `<!-- generated: NAME -->` and `<!-- end: NAME -->`: the configuration table from the Env
// schema (src/config.ts) and the error table from API_ERRORS (src/errors.ts).
// tests/unit/docs.test.ts fails when a committed doc differs from what this writes.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { Env } from '../src/config.ts';
import { API_ERRORS } from '../src/errors.ts';

const SERVICE_DOC = new URL('../docs/service.md', import.meta.url);

function configTable(): string {
  const rows = Object.entries(Env.properties as Record<string, TSchema>).map(([name, schema]) => {
    const fallback = schema.default === '' ? 'empty' : `\`${String(schema.default)}\``;
    return `| \`${name}\` | ${fallback} | ${String(schema.description)} |`;
  });
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

function errorTable(): string {
  const rows = Object.entries(API_ERRORS).map(([code, [status, when]]) => `| ${status} | \`${code}\` | ${when} |`);
  return ['| status | `error` | when |', '| --- | --- | --- |', ...rows].join('\n');
}

/** Each generated block: the file it is in, and its content. */
export const GENERATED: { file: URL; name: string; render: () => string }[] = [
  { file: SERVICE_DOC, name: 'configuration', render: configTable },
  { file: SERVICE_DOC, name: 'errors', render: errorTable },
];

const block = (name: string) => new RegExp(`(<!-- generated: ${name} -->\\n)[\\s\\S]*?(\\n<!-- end: ${name} -->)`);

/** The text of `file` with its generated blocks rewritten; throws if a block's markers are missing. */
export function regenerated(file: URL): string {
  let text = readFileSync(file, 'utf8');
  for (const g of GENERATED.filter((g) => g.file.href === file.href)) {
    if (!block(g.name).test(text)) throw new Error(`${file.pathname} has no block "${g.name}"`);
    text = text.replace(block(g.name), (_all, open: string, close: string) => `${open}${g.render()}${close}`);
  }
  return text;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const file of new Set(GENERATED.map((g) => g.file.href))) {
    writeFileSync(new URL(file), regenerated(new URL(file)));
    process.stdout.write(`wrote ${new URL(file).pathname}\n`);
  }
}
