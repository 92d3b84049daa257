// memgrade's version is package.json's, in every result (as pino checks its own), and the
// changelog has an entry for it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { versions } from '../../src/grading/versions.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

test('versions.memgrade is the version in package.json', () => {
  assert.equal(versions.memgrade, version);
  assert.match(version, /^\d+\.\d+\.\d+$/);
});

test('CHANGELOG.md has an entry for this version', () => {
  const changelog = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');
  const escaped = version.replaceAll('.', '\\.');
  assert.match(changelog, new RegExp(`^## \\[?${escaped}\\]? `, 'm'));
});
