// The command line as CI systems use it: exit codes, JSON that matches the schema, text that
// reads like pytest-memray's report.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { GradeResult } from '../../src/grading/result.ts';
import { assignment, FIXTURE_ASSIGNMENTS_DIR } from '../support.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'memgrade');
const tiny = assignment('tiny-sum');
const scratch = mkdtempSync(join(tmpdir(), 'memgrade-cli-'));

// As from a shell that never ran `npm`: no node_modules/.bin on PATH, another working directory.
const PATH = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => !dir.includes('node_modules'))
  .join(delimiter);

function memgrade(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const options = { cwd: tmpdir(), env: { ...process.env, PATH, MEMGRADE_ASSIGNMENTS_DIRS: FIXTURE_ASSIGNMENTS_DIR, ...env } };
    execFile(BIN, args, options, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

const file = (name: string, code: string) => {
  const path = join(scratch, name);
  writeFileSync(path, code);
  return path;
};

describe('memgrade grade', () => {
  test('exit 0 and a schema-valid JSON result when the submission passes', async () => {
    const r = await memgrade(['grade', join(tiny.dir, 'solutions', 'fixed.js'), '--assignment', 'tiny-sum', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const result: unknown = JSON.parse(r.stdout);
    assert.ok(Value.Check(GradeResult, result), JSON.stringify([...Value.Errors(GradeResult, result)].slice(0, 3)));
    assert.equal((result).status, 'passed');
    // The checkout's own Node 24 and isolated-vm 7, whatever node the shell would find.
    assert.match((result).versions.node, /^24\./);
    assert.match((result).versions.isolated_vm, /^7\./);
  });

  test('exit 1 and a pytest-memray style report when it fails', async () => {
    const r = await memgrade(['grade', join(tiny.dir, 'starter.js'), '--assignment', 'tiny-sum']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^FAILED tiny-sum \(memory_limit\)/);
    assert.match(r.stdout, /limited to 2\.4 MiB but allocated 2\.9 MiB/);
    assert.match(r.stdout, /Allocations alive at the peak/);
    assert.match(r.stdout, /double_it \(tiny-sum\/helpers\.js:\d+\)/);
    assert.match(r.stdout, /load +1 /);
  });

  test('exit 2 for a submission error, with the reason', async () => {
    const r = await memgrade(['grade', file('broken.js', 'function process_data( {'), '--assignment', 'tiny-sum', '--format', 'json']);
    assert.equal(r.code, 2);
    assert.equal(JSON.parse(r.stdout).reason, 'syntax_error');
  });

  test('a submission that aborts V8 still gets a JSON answer', async () => {
    const abort = file('abort.js', 'function process_data() { return Array(4e8).fill(0); }');
    const r = await memgrade(['grade', abort, '--assignment', 'tiny-sum', '--format', 'json']);
    assert.equal(r.code, 2);
    assert.equal(JSON.parse(r.stdout).reason, 'memory_cap');
  });

  test('reads the submission from standard input with "-"', async () => {
    const child = execFile(BIN, ['grade', '-', '--assignment', 'tiny-sum', '--format', 'json'], {
      env: { ...process.env, MEMGRADE_ASSIGNMENTS_DIRS: FIXTURE_ASSIGNMENTS_DIR },
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin?.end('function process_data() {}');
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 1);
    assert.equal(JSON.parse(out).reason, 'wrong_result');
  });

  test('usage errors exit 2 and say what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [['grade'], /no FILE given/],
      [['frobnicate', 'x.js'], /unknown command "frobnicate"/],
      [['grade', 'x.js', '--format', 'xml'], /--format must be one of json, text/],
      [['grade', join(tiny.dir, 'starter.js'), '--assignment', 'nope'], /unknown assignment "nope"/],
      [['grade', join(scratch, 'missing.js')], /cannot read/],
    ];
    for (const [args, message] of cases) {
      const r = await memgrade(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
    }
  });

  test('the default assignment is the full-size exercise', async () => {
    const r = await memgrade(['grade', join(assignment('clinging-onto-memory').dir, 'starter.js')]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /limited to 230\.0 MiB but allocated 381\.\d MiB/);
    assert.match(r.stdout, /room for 2 x 100 MB array/);
  });
});
