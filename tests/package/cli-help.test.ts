// `memgrade --help` loads no command (src/cli/main.ts keeps their synopses): here each synopsis is
// checked against its command's own usage, and `memgrade COMMAND --help` prints that usage.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { AUTOGRADE_USAGE } from '../../src/cli/commands/autograde.ts';
import { CHECK_USAGE } from '../../src/cli/commands/check.ts';
import { EXPORT_USAGE } from '../../src/cli/commands/export.ts';
import { GRADE_USAGE } from '../../src/cli/commands/grade.ts';
import { NEW_USAGE } from '../../src/cli/commands/new.ts';
import { TOKENS_USAGE } from '../../src/cli/commands/tokens.ts';
import { WORKER_USAGE } from '../../src/cli/commands/worker.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'memgrade');
const USAGES = {
  grade: GRADE_USAGE,
  new: NEW_USAGE,
  check: CHECK_USAGE,
  tokens: TOKENS_USAGE,
  export: EXPORT_USAGE,
  worker: WORKER_USAGE,
  autograde: AUTOGRADE_USAGE,
};
const memgrade = (args: string[]) => promisify(execFile)(BIN, args);

/** A usage's synopsis: its lines up to the first blank one. */
const synopsis = (usage: string) => usage.split('\n\n')[0];

test('memgrade --help lists every command by the synopsis of its own usage', async () => {
  const { stdout } = await memgrade(['--help']);
  assert.equal(stdout, `usage:\n${Object.values(USAGES).map(synopsis).join('\n')}\n\nmemgrade COMMAND --help shows a command's options.\n`);
});

test('memgrade COMMAND --help and memgrade help COMMAND print that command\'s usage', async () => {
  for (const [command, usage] of Object.entries(USAGES)) {
    assert.equal((await memgrade([command, '--help'])).stdout, `usage:\n${usage}\n`, command);
  }
  assert.equal((await memgrade(['help', 'grade'])).stdout, `usage:\n${GRADE_USAGE}\n`);
});

test('a usage error prints the command\'s own usage', async () => {
  const error = await memgrade(['tokens', 'frobnicate']).then(
    () => assert.fail('exit 0'),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(error.code, 2);
  assert.match(error.stderr, /^memgrade: /);
  assert.ok(error.stderr.endsWith(`\nusage:\n${TOKENS_USAGE}\n`), error.stderr);
});
