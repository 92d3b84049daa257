// The JS heap's figure, with the native heap-space reader (built at install where a C++ compiler
// is) and without it (MEMGRADE_HEAP_SPACES_ADDON=off, as on a machine without a compiler): the
// same verdicts and ArrayBuffer bytes, the heap part counted with compiled code. The setting is
// read when a process starts, so the run without it is `memgrade grade` in a process of its own.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { grade } from '../../src/grading/grade.ts';
import type { GradeResult } from '../../src/grading/result.ts';
import { SandboxProcess } from '../../src/sandbox-host/sandbox-process.ts';
import { assignment } from '../support.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'memgrade');
const BUILT = new URL('../../sandbox/native/heap-spaces.node', import.meta.url);
const fileOf = (id: string, name: string) => join(assignment(id).dir, assignment(id).manifest.solutions[name].file);

function gradeWithout(id: string, name: string): Promise<GradeResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, MEMGRADE_HEAP_SPACES_ADDON: 'off' };
    execFile(BIN, ['grade', fileOf(id, name), '--assignment', id, '--format', 'json'], { env, timeout: 60_000 }, (error, stdout) => {
      if (stdout === '') reject(error ?? new Error('no output'));
      else resolve(JSON.parse(stdout) as GradeResult);
    });
  });
}

const sandbox = new SandboxProcess();
after(() => sandbox.close());

test('without the reader: the whole used heap, the same verdicts, the same ArrayBuffer bytes', async () => {
  const generator = await gradeWithout('fibonacci-sequence', 'generator');
  assert.equal(generator.measurement.heap_figure, 'used_heap');
  assert.equal(generator.status, 'passed', generator.message);
  const original = await gradeWithout('clinging-onto-memory', 'original');
  assert.equal(original.measurement.heap_figure, 'used_heap');
  assert.equal(original.reason, 'memory_limit');
  assert.equal(original.peak_external_bytes, 400_000_000);
});

test('with the reader, where the install built it: the data spaces, well under the used heap', async (t) => {
  if (!existsSync(BUILT)) {
    t.skip('the install built no reader here (no C++ compiler)');
    return;
  }
  const fibonacci = assignment('fibonacci-sequence');
  const data = await grade(fibonacci, readFileSync(fileOf('fibonacci-sequence', 'generator'), 'utf8'), sandbox);
  const used = await gradeWithout('fibonacci-sequence', 'generator');
  assert.equal(data.measurement.heap_figure, 'data_spaces');
  assert.ok(data.peak_heap_bytes! < 32 * 1024, `${data.peak_heap_bytes}`);
  assert.ok(used.peak_heap_bytes! > data.peak_heap_bytes! + 16 * 1024, `used heap ${used.peak_heap_bytes}, data spaces ${data.peak_heap_bytes}`);
});
