// Every relative link of the front door and the docs leads somewhere: the README, CONTRIBUTING.md
// and docs/*.md link each other and the sources, and a moved section or a renamed file must not
// leave a link behind. A link's file must exist (relative to the page that links it), and its
// #anchor, on a Markdown page, must be one of that page's headings as GitHub names them.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;
const PAGES = ['README.md', 'CONTRIBUTING.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** A Markdown page without its fenced blocks. */
const unfenced = (markdown: string) => markdown.replace(/^([ \t]*)(```|~~~)[^\n]*\n[\s\S]*?^\1\2[ \t]*$/gm, '');
/** The text of a Markdown page that is prose: fenced blocks and inline code are left out. */
const prose = (markdown: string) => unfenced(markdown).replace(/`+[^`\n]*`+/g, '');

/** GitHub's anchor for a heading: lowercased, punctuation dropped but `-` and `_`, spaces to `-`. */
function slug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a page: its headings' slugs, a repeated one numbered as GitHub numbers it. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  for (const [, heading] of unfenced(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    found.add(count === 0 ? base : `${base}-${count}`);
  }
  return found;
}

/** The targets of a page's links and images, `[text](target)`, but for other sites and mail. */
function links(markdown: string): string[] {
  return [...prose(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
    .map((m) => m[1])
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

test('the anchors are the headings as GitHub names them', () => {
  assert.equal(slug('What `memgrade check` proves'), 'what-memgrade-check-proves');
  assert.equal(slug('Node 20 and isolated-vm 5.0.4 against Node 24'), 'node-20-and-isolated-vm-504-against-node-24');
  assert.equal(slug('The service, for instructors'), 'the-service-for-instructors');
  assert.equal(slug('JUnit (CI systems, CodeGrade)'), 'junit-ci-systems-codegrade');
  assert.deepEqual([...anchors('# A\n\n```\n# not a heading\n```\n## A\n### `B` c')], ['a', 'a-1', 'b-c']);
  assert.deepEqual(links('[a](x.md) `[b](y.md)` ![c](d.png) [e](https://example.org) [f](#g)'), ['x.md', 'd.png', '#g']);
});

test('every relative link of the README, CONTRIBUTING.md and docs/ leads to a file, and to a heading of it', () => {
  const broken: string[] = [];
  for (const page of PAGES) {
    const from = join(ROOT, page);
    for (const target of links(readFileSync(from, 'utf8'))) {
      const [path, anchor] = target.split('#', 2) as [string, string | undefined];
      const file = path === '' ? from : join(dirname(from), decodeURI(path));
      if (!existsSync(file)) {
        broken.push(`${page}: ${target} (no ${relative(ROOT, file)})`);
      } else if (anchor !== undefined && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor)) {
        broken.push(`${page}: ${target} (no heading "${anchor}" in ${relative(ROOT, file)})`);
      }
    }
  }
  assert.deepEqual(broken, []);
});
