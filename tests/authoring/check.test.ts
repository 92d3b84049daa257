// Every assignment proves itself: `memgrade check` grades each of its declared solutions and its
// starter, and passes only when each gets its declared verdict, the limit has its margin each
// way and the peaks agree over runs. So grading every assignment's solutions is part of the
// suite, and `memgrade new` lays out a folder that passes it as it is.
//
// The check's own rule keeps it fast: 3 runs of the two solutions nearest the limit (one on each
// side), 1 of the others, on two sandbox processes. lru-cache's is the longest: 32 s of CPU (its
// original takes 6 s a run), 35 s on two cores that other work shared; the three, 45 s.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { assignment, SHIPPED_ASSIGNMENTS } from '../support.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'memgrade');

function memgrade(args: string[], cwd = tmpdir()): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { cwd, timeout: 300_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** The table's row of `name`: its cells, split where the columns are (two spaces or more). */
const rowOf = (stdout: string, name: string) =>
  stdout
    .split('\n')
    .map((line) => line.trim().split(/ {2,}/))
    .find((cells) => cells[0] === name);

describe('memgrade check passes every assignment memgrade ships', () => {
  for (const id of SHIPPED_ASSIGNMENTS) {
    test(id, { timeout: 300_000 }, async () => {
      const r = await memgrade(['check', id]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const { manifest } = assignment(id);
      for (const [name, { expect }] of Object.entries(manifest.solutions)) {
        const cells = rowOf(r.stdout, name);
        assert.ok(cells, `${name} has a row:\n${r.stdout}`);
        assert.equal(cells[1], expect, name);
        assert.ok(cells[2].startsWith(expect), `${name} ${expect}: ${cells.join(' | ')}`);
        assert.equal(cells.at(-1), 'ok', `${name}: ${cells.join(' | ')}`);
      }
      assert.equal(rowOf(r.stdout, 'starter')?.at(-1), 'ok');
      // Three runs of the two solutions nearest the limit: three peaks each.
      const repeated = /^Runs: 3 of (\S+) and (\S+) /m.exec(r.stdout);
      assert.ok(repeated, r.stdout);
      for (const name of repeated.slice(1)) assert.equal(rowOf(r.stdout, name)?.[3].split(', ').length, 3, name);
      assert.match(r.stdout, /^The limit, .* is \d+\.\d\dx the highest passing peak .* is \d+\.\d\dx the limit; the rule: at least 1\.10x each way/m);
      assert.match(r.stdout, /^ok: each solution got its declared verdict/m);
    });
  }
});

test('memgrade new lays out a folder that memgrade check passes, in the current folder or --dir', { timeout: 120_000 }, async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'memgrade-new-'));
  const made = await memgrade(['new', 'demo'], cwd);
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout, /^wrote demo: manifest\.json, helpers\.js, starter\.js, solutions\/original\.js, solutions\/in-place\.js, README\.md\n/);
  const checked = await memgrade(['check', 'demo'], cwd);
  assert.equal(checked.code, 0, checked.stdout + checked.stderr);
  assert.match(checked.stdout, /^memgrade check demo \(demo\): sum_of_squares, limited to 11\.4 MiB/);
  assert.deepEqual(rowOf(checked.stdout, 'original')?.slice(1, 3), ['failed', 'failed (memory_limit)']);
  assert.deepEqual(rowOf(checked.stdout, 'in-place')?.slice(1, 3), ['passed', 'passed']);
  // The folder itself, with no argument; and another one, elsewhere, with --dir.
  const inside = await memgrade(['check', '--runs', '1'], join(cwd, 'demo'));
  assert.equal(inside.code, 0, inside.stdout + inside.stderr);
  assert.equal((await memgrade(['new', 'other-demo', '--dir', join(cwd, 'elsewhere')], cwd)).code, 0);
  assert.equal((await memgrade(['check', join(cwd, 'elsewhere', 'other-demo'), '--runs', '1'])).code, 0);
  // A folder that is there already is not overwritten; an id that memgrade would refuse is refused.
  const again = await memgrade(['new', 'demo'], cwd);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /demo exists and is not empty/);
  assert.equal((await memgrade(['new', 'Not An Id'], cwd)).code, 2);
});
