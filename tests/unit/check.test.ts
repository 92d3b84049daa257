// The rules of `memgrade check` (src/cli/commands/check.ts) on made-up results of tiny-sum,
// limited to 2,500,000 bytes: declared verdicts, the starter, the 1.1x margin each way and the
// spread of the peaks over runs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allowedSpread, judge, MARGIN, nearestTheLimit, type Row, type Subject } from '../../src/cli/commands/check.ts';
import { verdict } from '../../src/grading/grade.ts';
import type { GradeResult } from '../../src/grading/result.ts';
import { CODE, reportOutcome, tiny } from './records.ts';

const LIMIT = tiny.manifest.limits.peak_bytes;
/** A correct run of tiny-sum that peaked at `peak` (its tolerance: 0, as the made-up report has it). */
const run = (peak: number, tolerance = 0): GradeResult => verdict(tiny, reportOutcome({ peak_bytes: peak, tolerance_bytes: tolerance }), 10, CODE);
const row = (name: string, expect: Subject['expect'], peaks: number[], more: Partial<Subject> = {}): Row => ({
  subject: { name, file: `solutions/${name}.js`, expect, starter: false, ...more },
  results: peaks.map((p) => run(p)),
});
/** A fixed solution 1.25x under the limit, an original 1.3x over, the starter the original. */
const good = (): Row[] => [
  row('fixed', 'passed', [2_000_000, 2_000_100, 2_000_200]),
  row('original', 'failed', [3_250_000, 3_250_000, 3_250_000]),
  row('starter', 'failed', [], { starter: true, sameAs: 'original' }),
];

describe('memgrade check', () => {
  test('passes an assignment whose verdicts, margins and peaks hold, and states the margins', () => {
    const { problems, margins, table } = judge(tiny, good());
    assert.deepEqual(problems, []);
    assert.equal(
      margins,
      'The limit, 2.4 MiB, is 1.25x the highest passing peak (fixed, 1.9 MiB), and the lowest peak that fails by memory (original, 3.1 MiB) ' +
        'is 1.30x the limit; the rule: at least 1.10x each way, for every solution.',
    );
    assert.deepEqual(table[0], ['fixed', 'passed', 'passed', '1.9 MiB, 1.9 MiB, 1.9 MiB', '200 B', '1.25x under', 'ok']);
    assert.deepEqual(table[2], ['starter', 'failed', 'as original: failed (memory_limit)', '', '', '', 'ok']);
  });

  test('a solution within 1.1x of the limit, on either side, fails it', () => {
    const near = [row('fixed', 'passed', [2_400_000]), row('original', 'failed', [2_600_000])];
    const { problems } = judge(tiny, near);
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0], /^fixed: its peak, 2\.3 MiB, is within 1\.10x of the 2\.4 MiB limit \(1\.04x\)$/);
    assert.match(problems[1], /^original: its peak, 2\.5 MiB, is within 1\.10x of the 2\.4 MiB limit \(1\.04x\)$/);
    assert.equal(MARGIN, 1.1);
  });

  test('a verdict other than the declared one fails it, in any run', () => {
    const rows = good();
    rows[0].results.push(run(3_000_000));
    assert.match(judge(tiny, rows).problems.join('\n'), /^fixed: expected to have passed, it failed: limited to/m);
  });

  test('a starter that passes fails it', () => {
    const rows = [...good().slice(0, 2), row('starter', 'failed', [2_000_000], { starter: true })];
    assert.match(judge(tiny, rows).problems.join('\n'), /^starter: the starter must fail, and it passed/m);
  });

  test('without a solution that passes and one that fails by memory, the limit is not shown to be right', () => {
    const { problems } = judge(tiny, [row('fixed', 'passed', [2_000_000])]);
    assert.ok(problems.includes('no declared solution fails by memory: nothing shows that the limit is needed'), problems.join('\n'));
  });

  test('peaks that differ by more than the spread allowed fail it', () => {
    const rows = good();
    rows[0].results = [run(2_000_000), run(2_010_000)];
    assert.match(judge(tiny, rows).problems.join('\n'), /^fixed: its peaks differ by 10,000 B over 2 runs, more than the 4,096 B allowed$/m);
  });

  test('the spread allowed: the tolerance, at most 1/64 of the limit, at least 4 KiB', () => {
    assert.equal(allowedSpread(241_172_480, [run(1, 781_418)]), 781_418);
    assert.equal(allowedSpread(LIMIT, [run(1, 262_144)]), Math.floor(LIMIT / 64));
    assert.equal(allowedSpread(102_400, [run(1, 262_144)]), 4096);
  });

  test('the solutions nearest the limit are the passing one with the highest peak and the one failing by memory with the lowest', () => {
    const rows = [...good(), row('better', 'passed', [1_000_000]), row('worse', 'failed', [5_000_000])];
    const { below, above } = nearestTheLimit(rows);
    assert.deepEqual([below?.subject.name, above?.subject.name], ['fixed', 'original']);
  });
});
