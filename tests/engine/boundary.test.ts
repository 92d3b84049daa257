// What reaches a trusted process is checked against its schema before anything reads it
// (boundary.ts): the report the harness writes inside the isolate, and what a sandbox child
// sends its parent. A real run's messages pass; one that breaks a shape or a bound is refused
// with a short account of why, and a parent that receives one ends the job as crashed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setImmediate } from 'node:timers/promises';
import { buildJob } from '../../src/grading/grade.ts';
import { parseChildMessage, parsePeakLine, parseReport } from '../../src/sandbox-host/boundary.ts';
import { SandboxProcess } from '../../src/sandbox-host/sandbox-process.ts';
import { cutLength, TEXT_LIMITS } from '../../src/sandbox-host/text-limits.ts';
import { MAX_HOLDERS_SENT, type IsolateReport, type RunOutcome } from '../../src/sandbox-host/types.ts';
import { assignment, FIXTURE_ASSIGNMENTS_DIR } from '../support.ts';

const tiny = assignment('tiny-sum');
const FIXED = readFileSync(join(FIXTURE_ASSIGNMENTS_DIR, 'tiny-sum', 'solutions', 'fixed.js'), 'utf8');

let sandbox: SandboxProcess;
let outcome: Extract<RunOutcome, { kind: 'report' }>;
before(async () => {
  sandbox = new SandboxProcess();
  const ran = await sandbox.run(buildJob(tiny, FIXED));
  assert.equal(ran.kind, 'report');
  outcome = ran;
});
after(() => sandbox.close());

/** The real report with `change` made to a copy of it, as JSON text. */
const reportWith = (change: (report: Record<string, unknown> & IsolateReport) => void) => {
  const copy = structuredClone(outcome.report) as Record<string, unknown> & IsolateReport;
  change(copy);
  return JSON.stringify(copy);
};

const refused = (checked: { ok: boolean; problem?: string }, problem: RegExp) => {
  assert.equal(checked.ok, false);
  assert.match(checked.problem ?? '', problem);
};

describe("the harness's report, out of the isolate", () => {
  test('a real one passes as the harness wrote it', () => {
    assert.ok(outcome.report.timeline.length > 0 && outcome.report.live_at_peak.length > 0);
    assert.deepEqual(parseReport(JSON.stringify(outcome.report)), { ok: true, value: outcome.report });
  });

  test('what is not JSON text is refused', () => {
    refused(parseReport('{"outcome":"returned"'), /^not JSON$/);
    refused(parseReport(undefined), /^not JSON text \(undefined\)$/);
  });

  test('a list past what the harness keeps is refused: 1,000 samples, 100 listed at the peak, 500 lifetimes', () => {
    const many = <T>(list: T[], count: number) => Array.from({ length: count }, (_, i) => list[i % list.length]);
    refused(parseReport(reportWith((r) => (r.timeline = many(r.timeline, 1001)))), /^at \/timeline: Expected array length to be less or equal to 1000$/);
    refused(parseReport(reportWith((r) => (r.live_at_peak = many(r.live_at_peak, 101)))), /^at \/live_at_peak: .* 100$/);
    refused(parseReport(reportWith((r) => (r.allocations = many(r.live_at_peak, 501)))), /^at \/allocations: .* 500$/);
  });

  test('a string past the cut the harness makes is refused', () => {
    refused(parseReport(reportWith((r) => (r.steps[0].name = 'x'.repeat(cutLength(TEXT_LIMITS.name) + 1)))), /^at \/steps\/0\/name: Expected string length/);
    const error = { name: 'Error', message: 'x'.repeat(cutLength(TEXT_LIMITS.message) + 1), stack: null };
    refused(parseReport(reportWith((r) => (r.error = error))), /^at \/error\/message: Expected string length/);
  });

  test('a field of the wrong type, a missing one or one of its own is refused', () => {
    refused(parseReport(reportWith((r) => (r.peak_bytes = 1.5))), /^at \/peak_bytes: Expected integer$/);
    refused(parseReport(reportWith((r) => delete (r as Partial<IsolateReport>).timeline)), /^at \/timeline: Expected required property$/);
    refused(parseReport(reportWith((r) => (r.toJSON = 'planted'))), /^at \/toJSON: Unexpected property$/);
  });

  test('the account of what is wrong stays short, whatever the sender chose to name', () => {
    const checked = parseReport(reportWith((r) => (r['k'.repeat(1_000_000)] = 1)));
    refused(checked, /^at \/kkk.*\[cut: /);
    assert.ok(!checked.ok && checked.problem.length <= cutLength(TEXT_LIMITS.name));
  });
});

describe('the messages of a sandbox child, in its parent', () => {
  test('real ones pass', () => {
    assert.ok(parseChildMessage({ type: 'ready' }).ok);
    assert.ok(parseChildMessage({ type: 'measured', id: 3, outcome }).ok);
    const result = { type: 'result', id: 3, outcome, recycle: false };
    assert.deepEqual(parseChildMessage(result), { ok: true, value: result });
    const peak = { peak_bytes: 5, peak_external_bytes: 4, peak_heap_bytes: 1 };
    assert.deepEqual(parsePeakLine(JSON.stringify({ id: 3, peak })), { ok: true, value: { id: 3, peak } });
  });

  test('a malformed one is refused, with what is wrong inside the message and the outcome', () => {
    refused(parseChildMessage({ type: 'done' }), /^at \/type: Expected/);
    refused(parseChildMessage({ type: 'result', outcome, recycle: false }), /^at \/id: Expected required property$/);
    const crashed = { kind: 'crashed', message: 'x'.repeat(1_000_000), peak: null };
    refused(parseChildMessage({ type: 'result', id: 3, outcome: crashed, recycle: false }), /^at \/outcome\/message: Expected string length/);
    const holders = [{ name: 'a', kind: 'local', function: 'f', file: null, line: 1 }];
    const crowded = { status: 'complete', held: [{ id: 1, holders: Array.from({ length: MAX_HOLDERS_SENT + 1 }, () => holders[0]) }], frames: [], heap: [] };
    const withCrowd = { type: 'result', id: 3, outcome: { ...outcome, holders: crowded }, recycle: false };
    refused(parseChildMessage(withCrowd), /^at \/outcome\/holders\/held\/0\/holders: /);
    refused(parsePeakLine('(node:12) Warning: something'), /^not JSON$/);
    refused(parsePeakLine('{"id":3,"peak":{"peak_bytes":"5","peak_external_bytes":4,"peak_heap_bytes":1}}'), /^at \/peak\/peak_bytes: Expected integer$/);
  });

  test('the parent ends the job as crashed and stops the child that sent it', async () => {
    const child = new SandboxProcess();
    try {
      const running = child.run(buildJob(tiny, 'function process_data() { while (true) {} }'));
      await child.ready;
      // run() listens once the child is ready; the submission never ends on its own.
      await setImmediate();
      child.child.emit('message', { type: 'result', id: 1, outcome: { kind: 'crashed', message: 'x'.repeat(1_000_000), peak: null }, recycle: false });
      const ended = await running;
      assert.equal(ended.kind, 'crashed');
      assert.match(ended.kind === 'crashed' ? ended.message : '', /^the sandbox process sent a malformed message \(at \/outcome\/message: /);
      assert.equal(child.alive, false);
    } finally {
      await child.close();
    }
  });
});
