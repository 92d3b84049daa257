// docs/measurement.md quotes the figures of sampling; they live in one object (SAMPLING), and
// this pins the page to it, so that a change to sampling cannot leave the page behind.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SAMPLING } from '../../src/sandbox-host/sampling.ts';

const page = readFileSync(new URL('../../docs/measurement.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
const n = (value: number) => value.toLocaleString('en-US');
const size = (bytes: number) =>
  bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;

test('docs/measurement.md quotes the figures SAMPLING holds', () => {
  const { tolerance, ticksPerLook, allowance, laterSampleMargin } = SAMPLING;
  const quoted = [
    `one every ${n(SAMPLING.loopBatch)} iterations of each loop`,
    `chunks of ${n(SAMPLING.loopBatch)} iterations`,
    `Every ${n(ticksPerLook.data_spaces)} ticks with the native reader`,
    `or ${n(ticksPerLook.used_heap)} without it`,
    `fewer than ${n(ticksPerLook.data_spaces)} loop iterations or function calls`,
    `\`max(${size(tolerance.minBytes)}, peak / ${1 / tolerance.peakFraction})\``,
    `never more than 1/${1 / tolerance.limitFraction} of the assignment's limit`,
    `${n(SAMPLING.bookkeepingBytes)} bytes of bookkeeping`,
    `up to ${n(SAMPLING.maxExitSamples)} times per run`,
    `an array of ${n(SAMPLING.largeArray)} elements`,
    `a string of ${SAMPLING.largeString / (1024 * 1024)} Mi characters`,
    `\`max(tolerance, peak / ${SAMPLING.heapStepDivisor})\``,
    `an allowance of up to ${size(allowance.maxBytes)}`,
    `by ${size(laterSampleMargin.used_heap)} instead of ${size(laterSampleMargin.data_spaces)}`,
  ];
  for (const text of quoted) assert.ok(page.includes(text), `docs/measurement.md should say: ${text}`);
});

test('the loop batch and the look interval are powers of two, the batch no larger', () => {
  for (const interval of Object.values(SAMPLING.ticksPerLook)) {
    assert.equal(interval & (interval - 1), 0);
    assert.ok(SAMPLING.loopBatch <= interval);
  }
  assert.equal(SAMPLING.loopBatch & (SAMPLING.loopBatch - 1), 0);
});
