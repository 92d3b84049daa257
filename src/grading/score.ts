// The score of a result, from the assignment's points: every platform format derives its grade
// from this one rule. Memory points count only with a correct result (an empty array would
// otherwise earn them), in full at or under the limit, and, when the manifest asks for partial
// credit, in a straight line down to nothing at `partial_until_bytes`.
import type { Manifest } from './assignments.ts';
import type { GradeResult, ScorePart } from './result.ts';

/** Points when a manifest declares none: one for a correct result, one for the memory limit. */
export const DEFAULT_POINTS: NonNullable<Manifest['points']> = { correct: 1, memory: 1 };

const round2 = (n: number) => Math.round(n * 100) / 100;

export function scoreParts(manifest: Manifest, result: Pick<GradeResult, 'status' | 'correct' | 'peak_bytes' | 'limit_bytes'>): ScorePart[] {
  const points = manifest.points ?? DEFAULT_POINTS;
  const correct = result.status !== 'error' && result.correct !== false;
  let memory = 0;
  if (correct && result.peak_bytes !== null) {
    const until = points.partial_until_bytes;
    if (result.peak_bytes <= result.limit_bytes) memory = points.memory;
    else if (until !== undefined && result.peak_bytes < until) {
      memory = round2((points.memory * (until - result.peak_bytes)) / (until - result.limit_bytes));
    }
  }
  return [
    { part: 'correct', score: correct ? points.correct : 0, max_score: points.correct },
    { part: 'memory', score: memory, max_score: points.memory },
  ];
}

/** The result with its score, its maximum and its parts. */
export function withScore(manifest: Manifest, result: GradeResult): GradeResult {
  const parts = scoreParts(manifest, result);
  return {
    ...result,
    score: round2(parts.reduce((sum, p) => sum + p.score, 0)),
    max_score: parts.reduce((sum, p) => sum + p.max_score, 0),
    score_parts: parts,
  };
}
