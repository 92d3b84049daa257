// The one score rule every platform format reports (score.ts), on made-up peaks around tiny-sum's
// figures: limit 2,500,000 bytes, partial credit falling to 0 at 4,000,000.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Manifest } from '../../src/grading/assignments.ts';
import { DEFAULT_POINTS, scoreParts, withScore } from '../../src/grading/score.ts';
import { passed, tiny } from './records.ts';

type Graded = Parameters<typeof scoreParts>[1];
const run = (peak: number | null, over: Partial<Graded> = {}): Graded => ({
  status: 'failed',
  correct: true,
  peak_bytes: peak,
  limit_bytes: 2_500_000,
  ...over,
});
const memory = (manifest: Manifest, graded: Graded) => scoreParts(manifest, graded).find((p) => p.part === 'memory')!.score;
const course: Manifest = { ...tiny.manifest, points: { correct: 40, memory: 60, partial_until_bytes: 4_000_000 } };

describe('scoreParts', () => {
  test('correct and within the limit: every point, the limit itself included', () => {
    assert.deepEqual(scoreParts(tiny.manifest, run(2_000_000, { status: 'passed' })), [
      { part: 'correct', score: 1, max_score: 1 },
      { part: 'memory', score: 1, max_score: 1 },
    ]);
    assert.equal(memory(tiny.manifest, run(2_500_000)), 1);
  });

  test('over the limit, memory points fall in a straight line to 0 at partial_until_bytes', () => {
    assert.equal(memory(course, run(2_500_001)), 60);
    assert.equal(memory(course, run(3_250_000)), 30);
    assert.equal(memory(course, run(3_000_000)), 40);
    // Two decimals: 1 x 1,000,000 / 1,500,000.
    assert.equal(memory(tiny.manifest, run(3_000_000)), 0.67);
    assert.equal(memory(course, run(4_000_000)), 0);
    assert.equal(memory(course, run(9_000_000)), 0);
  });

  test('without partial_until_bytes, one byte over the limit earns no memory points', () => {
    const strict: Manifest = { ...tiny.manifest, points: { correct: 1, memory: 3 } };
    assert.equal(memory(strict, run(2_500_000)), 3);
    assert.equal(memory(strict, run(2_500_001)), 0);
  });

  test('a wrong result earns nothing, however small its peak', () => {
    assert.deepEqual(
      scoreParts(course, run(1000, { correct: false })).map((p) => p.score),
      [0, 0],
    );
  });

  test('an error earns nothing, even with a peak and no wrong result', () => {
    assert.deepEqual(
      scoreParts(course, run(1000, { status: 'error', correct: null })).map((p) => p.score),
      [0, 0],
    );
  });

  test('correct but unmeasured: the correct points only', () => {
    assert.deepEqual(scoreParts(course, run(null)).map((p) => p.score), [40, 0]);
  });

  test('a manifest without points gets one for each part', () => {
    const { points: _, ...bare } = tiny.manifest;
    assert.deepEqual(DEFAULT_POINTS, { correct: 1, memory: 1 });
    assert.deepEqual(scoreParts(bare, run(2_000_000)).map((p) => [p.score, p.max_score]), [[1, 1], [1, 1]]);
  });
});

describe('withScore', () => {
  test('sums the parts into score and max_score', () => {
    const r = withScore(course, { ...passed(), status: 'failed', reason: 'memory_limit', peak_bytes: 3_250_000 });
    assert.equal(r.score, 70);
    assert.equal(r.max_score, 100);
    assert.deepEqual(r.score_parts.map((p) => p.score), [40, 30]);
  });
});
