// What a student is told for each way a run can end, drawn from made-up outcomes: the same
// verdicts tests/engine reaches through a real sandbox process, here in microseconds.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildJob, checked, codeBytes, grade, invalidSubmission, verdict, type SandboxRunner } from '../../src/grading/grade.ts';
import type { RunOutcome, SandboxJob } from '../../src/sandbox-host/types.ts';
import { CODE, MiB, overLimit, passed, report, reportOutcome, tiny } from './records.ts';

const PEAK = { peak_bytes: 5_000_000, peak_external_bytes: 4 * MiB, peak_heap_bytes: 5_000_000 - 4 * MiB };
const of = (outcome: RunOutcome) => verdict(tiny, outcome, 7, CODE);

describe('a run that returned', () => {
  test('correct and under the limit passes, with every point', () => {
    const r = passed();
    assert.equal(r.status, 'passed');
    assert.equal(r.reason, null);
    assert.equal(r.message, 'passed: peak 2.3 MiB (in double_it) is within the 2.4 MiB limit, and all 1000 values match');
    assert.equal(r.correct, true);
    assert.equal(r.peak_bytes, 2_400_000);
    assert.equal(r.limit_bytes, 2_500_000);
    assert.deepEqual([r.score, r.max_score], [2, 2]);
  });

  test('correct and over the limit fails on memory, naming the step of the peak', () => {
    const r = overLimit();
    assert.equal(r.status, 'failed');
    assert.equal(r.reason, 'memory_limit');
    assert.equal(r.message, 'limited to 2.4 MiB but allocated 3.1 MiB at the peak, in double_it');
    assert.equal(r.correct, true);
  });

  test('a wrong result fails as wrong even when also over the limit, and says both', () => {
    const check = { correct: false, message: 'element 3 is 7, expected 8', first_bad_index: 3 };
    const r = of(reportOutcome({ peak_bytes: 3_250_000, check }));
    assert.equal(r.status, 'failed');
    assert.equal(r.reason, 'wrong_result');
    assert.equal(r.message, 'wrong result: element 3 is 7, expected 8; also, peak 3.1 MiB (in double_it) is over the 2.4 MiB limit');
    assert.equal(r.correct, false);
    assert.deepEqual(r.check, check);
  });

  test('a right result on the usual input and a wrong one on hidden input is wrong', () => {
    const r = of(reportOutcome({}, { correct: false, message: 'sum is 10, expected 12' }));
    assert.equal(r.reason, 'wrong_result');
    assert.equal(r.correct, false);
    assert.match(r.message, /^wrong result on hidden input \(.*\): sum is 10, expected 12$/);
    assert.deepEqual(r.hidden_check, { correct: false, message: 'sum is 10, expected 12' });
  });

  test('without a check, correctness is unknown and the message says so', () => {
    const r = of(reportOutcome({ check: null }));
    assert.equal(r.status, 'passed');
    assert.equal(r.correct, null);
    assert.match(r.message, /, and no correctness check$/);
  });

  test('a check that throws is a wrong result, not an error of the submission', () => {
    const error = { name: 'Error', message: 'result is not an array', stack: null };
    const r = of(reportOutcome({ outcome: 'check_threw', error }));
    assert.equal(r.status, 'failed');
    assert.equal(r.reason, 'wrong_result');
    assert.equal(r.correct, false);
    assert.equal(r.message, 'the result could not be checked: result is not an array');
  });
});

describe('a run that did not finish', () => {
  test('an entry point that threw is a runtime error, located in the submission from its stack', () => {
    const stack = 'TypeError: x is not a function\n    at process_data (submission.js:3:7)\n    at load (tiny-sum/helpers.js:4:1)';
    const r = of(reportOutcome({ outcome: 'threw', check: null, error: { name: 'TypeError', message: 'x is not a function', stack } }));
    assert.equal(r.status, 'error');
    assert.equal(r.reason, 'runtime_error');
    assert.equal(r.message, 'process_data threw TypeError: x is not a function');
    assert.deepEqual(r.error, { name: 'TypeError', message: 'x is not a function', line: 3, column: 7, stack });
    assert.equal(r.peak_bytes, 2_400_000, 'what was measured before it threw is kept');
    assert.equal(r.score, 0);
  });

  test('a syntax error gives its position, and no position when there is none', () => {
    const at = of({ kind: 'syntax_error', message: "Unexpected token '}'", line: 2, column: 5 });
    assert.equal(at.reason, 'syntax_error');
    assert.equal(at.message, "syntax error at line 2, column 5: Unexpected token '}'");
    assert.deepEqual(at.error, { name: 'SyntaxError', message: "Unexpected token '}'", line: 2, column: 5, stack: null });
    assert.equal(of({ kind: 'syntax_error', message: 'Unexpected end of input', line: null, column: null }).message, 'syntax error: Unexpected end of input');
  });

  test('a throw while loading is a runtime error, with or without a measurement', () => {
    const error = { name: 'ReferenceError', message: 'x is not defined', stack: 'ReferenceError: x is not defined\n    at submission.js:2:13' };
    const bare = of({ kind: 'load_error', error, report: null });
    assert.equal(bare.reason, 'runtime_error');
    assert.equal(bare.message, 'the submission failed while loading: ReferenceError: x is not defined');
    assert.deepEqual([bare.error?.line, bare.error?.column], [2, 13]);
    assert.equal(bare.peak_bytes, null);

    const measured = of({ kind: 'load_error', error, report: report({ outcome: 'load_failed', check: null }) });
    assert.equal(measured.status, 'error');
    assert.equal(measured.message, bare.message);
    assert.equal(measured.peak_bytes, 2_400_000);
    assert.equal(measured.explanation?.status, 'missing');
    assert.equal(measured.explanation?.reason, 'the submission failed while loading');
  });

  test('a timeout names which clock ran out, and keeps the peak seen so far', () => {
    const wall = of({ kind: 'timeout', limit: 'wall', limit_ms: 3000, peak: null });
    assert.equal(wall.reason, 'timeout');
    assert.equal(wall.message, 'the submission ran past its time limit of 3000 ms');
    assert.equal(wall.peak_bytes, null);
    const cpu = of({ kind: 'timeout', limit: 'cpu', limit_ms: 3000, peak: PEAK });
    assert.equal(cpu.message, 'the submission ran past its CPU-time limit of 3000 ms');
    assert.deepEqual([cpu.peak_bytes, cpu.peak_external_bytes, cpu.peak_heap_bytes], [PEAK.peak_bytes, PEAK.peak_external_bytes, PEAK.peak_heap_bytes]);
  });

  test('the memory cap, hit inside the harness or by the isolate dying', () => {
    const inside = of(reportOutcome({ outcome: 'memory_cap', check: null, peak_bytes: 3_250_000, cap_request_bytes: 64 * MiB }));
    assert.equal(inside.reason, 'memory_cap');
    assert.equal(inside.message, "allocation of 64.0 MiB failed: the isolate's 64 MB memory cap was reached (peak 3.1 MiB (in double_it) so far)");
    const died = of({ kind: 'memory_cap', message: 'the isolate was disposed at its memory cap', peak: PEAK });
    assert.equal(died.status, 'error');
    assert.equal(died.reason, 'memory_cap');
    assert.equal(died.message, 'the isolate was disposed at its memory cap');
    assert.equal(died.peak_bytes, 5_000_000);
  });

  test("a crashed sandbox is memgrade's own error (internal), not the student's", () => {
    const r = of({ kind: 'crashed', message: 'the sandbox process died (SIGKILL)', peak: null });
    assert.equal(r.status, 'error');
    assert.equal(r.reason, 'internal');
    assert.equal(r.message, 'the sandbox process died (SIGKILL)');
  });

  test('a missing entry point and an invalid submission carry their message as is', () => {
    const missing = of({ kind: 'missing_entry_point', message: 'no function process_data is defined' });
    assert.deepEqual([missing.status, missing.reason, missing.message], ['error', 'missing_entry_point', 'no function process_data is defined']);
    const invalid = of({ kind: 'invalid', message: 'it uses __memgrade_tick, which the grader inserts' });
    assert.deepEqual([invalid.status, invalid.reason, invalid.message], ['error', 'invalid_submission', 'it uses __memgrade_tick, which the grader inserts']);
  });

  test('every error scores nothing, out of the full points', () => {
    const r = of({ kind: 'timeout', limit: 'wall', limit_ms: 3000, peak: PEAK });
    assert.deepEqual(r.score_parts, [
      { part: 'correct', score: 0, max_score: 1 },
      { part: 'memory', score: 0, max_score: 1 },
    ]);
    assert.deepEqual([r.score, r.max_score], [0, 2]);
  });
});

describe('grade, before and after the runner', () => {
  const refusing: SandboxRunner = {
    run: () => assert.fail('a refused submission must not reach the runner'),
  };

  test('empty or oversized code is refused before it runs; the size is in UTF-8 bytes', async () => {
    const empty = await grade(tiny, '  \n\t', refusing);
    assert.deepEqual([empty.reason, empty.message], ['invalid_submission', 'code is empty']);
    // 32,769 two-byte characters: under the limit in characters, over it in bytes.
    const wide = await grade(tiny, 'é'.repeat(32_769), refusing);
    assert.equal(wide.message, 'code is 65538 bytes, more than the 65536 this assignment accepts');
    assert.equal(codeBytes('é€😀'), 2 + 3 + 4);
    assert.deepEqual(invalidSubmission(tiny, 'nope').score_parts.map((p) => p.score), [0, 0]);
  });

  test('the runner gets the job built from the manifest, and its outcome is checked', async () => {
    let seen: SandboxJob | null = null;
    const runner: SandboxRunner = {
      run: async (job) => {
        seen = job;
        return reportOutcome({ steps: [{ ...report().steps[0], name: 'x'.repeat(10_000) }] });
      },
    };
    const r = await grade(tiny, CODE, runner);
    assert.deepEqual(seen, buildJob(tiny, CODE));
    assert.equal(r.reason, 'internal');
    assert.match(r.message, /^the sandbox returned a result that breaks its schema \(at \/steps\/0\/name: /);
  });

  test('buildJob carries the manifest over, the memory cap in MB', () => {
    const job = buildJob(tiny, CODE);
    assert.equal(job.code, CODE);
    assert.equal(job.entryPoint, 'process_data');
    assert.deepEqual(job.steps, ['load', 'double_it']);
    assert.deepEqual([job.check, job.hiddenSetup], ['check', 'hidden_setup']);
    assert.deepEqual(job.helpers.globals, ['SIZE', 'load', 'double_it']);
    assert.equal(job.helpers.filename, 'tiny-sum/helpers.js');
    assert.deepEqual(job.limits, { memoryCapMb: 64, peakBytes: 2500000, timeoutMs: 3000, cpuTimeMs: 3000, explainMs: 3000 });
  });
});

describe('checked', () => {
  test('a result within its schema is returned as it is', () => {
    const r = passed();
    assert.equal(checked(tiny, r), r);
  });

  test('an oversized string or list becomes an internal error that says where', () => {
    const r = overLimit();
    const long = checked(tiny, { ...r, message: 'x'.repeat(100_000) });
    assert.equal(long.reason, 'internal');
    assert.equal(long.status, 'error');
    assert.match(long.message, /\(at \/message: /);
    const many = checked(tiny, { ...r, steps: Array.from({ length: 103 }, () => r.steps[0]) });
    assert.match(many.message, /\(at \/steps: /);
    const allocations = checked(tiny, { ...r, allocations: Array.from({ length: 501 }, () => r.allocations[0]) });
    assert.match(allocations.message, /\(at \/allocations: /);
  });

  test('what the replacement keeps: the duration, and none of the refused fields', () => {
    const bad = checked(tiny, { ...overLimit(), peak_step: '<b>'.repeat(1000) });
    assert.equal(bad.duration_ms, 12);
    assert.equal(bad.peak_step, null);
    assert.equal(bad.peak_bytes, null);
    assert.deepEqual(bad.steps, []);
    assert.equal(checked(tiny, bad), bad, 'the replacement itself is within the schema');
  });

  test('a field the schema does not know is refused too', () => {
    const extra = checked(tiny, { ...passed(), html: '<script>' } as unknown as ReturnType<typeof passed>);
    assert.equal(extra.reason, 'internal');
  });
});
