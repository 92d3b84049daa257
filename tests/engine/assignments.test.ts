// Assignments are folders of data: a second one needs no code, and a broken one is named.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DEFAULT_ASSIGNMENTS_DIR, loadAssignments } from '../../src/grading/assignments.ts';
import { assignment, FIXTURE_ASSIGNMENTS_DIR, Grader, SHIPPED_ASSIGNMENTS } from '../support.ts';

const grader = new Grader();
after(() => grader.close());

describe('assignment folders', () => {
  test('the test-only assignment loads beside the real one', () => {
    const all = loadAssignments([DEFAULT_ASSIGNMENTS_DIR, FIXTURE_ASSIGNMENTS_DIR]);
    assert.deepEqual([...all.keys()].sort(), [...SHIPPED_ASSIGNMENTS, 'tiny-sum'].sort());
    assert.ok(SHIPPED_ASSIGNMENTS.includes('clinging-onto-memory'));
    const tiny = all.get('tiny-sum')!;
    assert.match(tiny.description, /Tiny sum/);
    assert.match(tiny.starterCode, /function process_data/);
  });

  test('each declared solution of the test-only assignment grades as its manifest expects', async () => {
    const tiny = assignment('tiny-sum');
    for (const [name, { file, expect }] of Object.entries(tiny.manifest.solutions)) {
      const r = await grader.grade('tiny-sum', readFileSync(join(tiny.dir, file), 'utf8'));
      assert.equal(r.status, expect, `${name}: ${r.message}`);
    }
  });

  test('a broken manifest is refused with the field named', () => {
    const root = mkdtempSync(join(tmpdir(), 'memgrade-assignments-'));
    cpSync(join(FIXTURE_ASSIGNMENTS_DIR, 'tiny-sum'), join(root, 'tiny-sum'), { recursive: true });
    const path = join(root, 'tiny-sum', 'manifest.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...manifest, limits: { ...manifest.limits, timeout_ms: 'soon' } }));
    assert.throws(() => loadAssignments([root]), /manifest\.json is invalid: \/limits\/timeout_ms/);
  });

  test("a step may be the submission's own function or a method by its path; the entry point or a repeated step is refused", () => {
    const root = mkdtempSync(join(tmpdir(), 'memgrade-assignments-'));
    cpSync(join(FIXTURE_ASSIGNMENTS_DIR, 'tiny-sum'), join(root, 'tiny-sum'), { recursive: true });
    const path = join(root, 'tiny-sum', 'manifest.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8'));
    const withSteps = (steps: string[]) => {
      writeFileSync(path, JSON.stringify({ ...manifest, steps }));
      return () => loadAssignments([root]);
    };
    assert.deepEqual(withSteps([...manifest.steps, 'triple_it', 'Box.prototype.fill'])().get('tiny-sum')?.manifest.steps.slice(-2), [
      'triple_it',
      'Box.prototype.fill',
    ]);
    assert.throws(withSteps([...manifest.steps, 'process_data']), /step process_data is the entry point/);
    assert.throws(withSteps([...manifest.steps, 'load']), /step load is listed twice/);
    assert.throws(withSteps(['Box..fill']), /manifest\.json is invalid: \/steps\/0/);
  });

  test('an id that repeats is refused, unless it is the same assignment (a copy in a question folder)', () => {
    assert.equal(loadAssignments([FIXTURE_ASSIGNMENTS_DIR, FIXTURE_ASSIGNMENTS_DIR]).size, 1);
    const root = mkdtempSync(join(tmpdir(), 'memgrade-assignments-'));
    cpSync(join(FIXTURE_ASSIGNMENTS_DIR, 'tiny-sum'), join(root, 'tiny-sum'), { recursive: true });
    const path = join(root, 'tiny-sum', 'manifest.json');
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), title: 'Another tiny sum' }));
    assert.throws(() => loadAssignments([FIXTURE_ASSIGNMENTS_DIR, root]), /defined twice, differently/);
  });
});
