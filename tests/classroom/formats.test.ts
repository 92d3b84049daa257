// Each platform format, checked against the platform's documented schema (tests/fixtures/platforms)
// for real results: passed, failed with partial credit, wrong, an error, and memgrade's own failure.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { verdict } from '../../src/grading/grade.ts';
import type { GradeResult } from '../../src/grading/result.ts';
import { scoreParts } from '../../src/grading/score.ts';
import { csvReport, REPORTERS } from '../../src/report/registry.ts';
import { junitConsistencyErrors, junitSchemaErrors } from './junit-schemas.ts';
import { schemaErrors } from './platforms.ts';
import { assignment, Grader } from '../support.ts';


const tiny = assignment('tiny-sum');
const grader = new Grader();
const results: Record<string, GradeResult> = {};
before(async () => {
  results.passed = await grader.grade('tiny-sum', 'function process_data() { let d = load(SIZE); d = double_it(d); return double_it(d); }');
  results.partial = await grader.grade('tiny-sum', tiny.starterCode);
  results.wrong = await grader.grade('tiny-sum', 'function process_data() { return load(SIZE); }');
  results.error = await grader.grade('tiny-sum', 'function process_data() { throw new Error("<b>boom</b> & \\u0001"); }');
  results.syntax = await grader.grade('tiny-sum', 'function process_data( {');
  results.internal = verdict(tiny, { kind: 'crashed', message: 'the sandbox process died (SIGKILL)', peak: null }, 5);
});
after(() => grader.close());

describe('scores', () => {
  test('a correct result under the limit earns everything; over it, partial credit down to the threshold; a wrong one, nothing', () => {
    assert.equal(results.passed.score, results.passed.max_score);
    assert.equal(results.partial.status, 'failed');
    const memory = results.partial.score_parts.find((p) => p.part === 'memory')!;
    assert.ok(memory.score > 0 && memory.score < memory.max_score, `memory ${memory.score}`);
    assert.equal(results.wrong.score, 0, 'no memory points for a wrong result');
    assert.equal(results.error.score, 0);
    // The rule on made-up figures: the limit, the threshold and between.
    const at = (peak: number) => scoreParts(tiny.manifest, { status: 'failed', correct: true, peak_bytes: peak, limit_bytes: 2_500_000 })[1].score;
    assert.deepEqual([at(2_500_000), at(3_250_000), at(4_000_000), at(5_000_000)], [1, 0.5, 0, 0]);
  });
});

describe('gradescope', () => {
  for (const kind of ['passed', 'partial', 'wrong', 'error', 'internal']) {
    test(`${kind}: Gradescope's results.json schema, one test per scored part`, () => {
      const out: { score: number; tests: { max_score: number }[] } = JSON.parse(REPORTERS.gradescope.render(results[kind], tiny));
      assert.equal(schemaErrors('gradescope', out), null);
      assert.equal(out.score, results[kind].score);
      assert.deepEqual(out.tests.map((t) => t.max_score), results[kind].score_parts.map((p) => p.max_score));
    });
  }

  test("the memory test's output carries the text report: peak, limit, who held what, the hint", () => {
    const out = JSON.parse(REPORTERS.gradescope.render(results.partial, tiny));
    const memory = out.tests[1];
    assert.equal(memory.status, 'failed');
    assert.match(memory.output, /Peak: 2\.\d MiB/);
    assert.match(memory.output, /held by/);
    assert.match(memory.output, /hint: /);
  });
});

describe('prairielearn', () => {
  for (const kind of ['passed', 'partial', 'wrong', 'error', 'internal']) {
    test(`${kind}: PrairieLearn's results.json schema, under 1 MB`, () => {
      const text = REPORTERS.prairielearn.render(results[kind], tiny);
      assert.ok(Buffer.byteLength(text) < 1_000_000);
      const out: Record<string, unknown> = JSON.parse(text);
      assert.equal(schemaErrors('prairielearn', out), null);
      assert.ok(!('succeeded' in out));
    });
  }

  test("memgrade's own failure and a syntax error are not gradable, never a zero; a student's runtime error is gradable", () => {
    const internal = JSON.parse(REPORTERS.prairielearn.render(results.internal, tiny));
    assert.equal(internal.gradable, false);
    assert.ok(!('score' in internal));
    const syntax = JSON.parse(REPORTERS.prairielearn.render(results.syntax, tiny));
    assert.equal(schemaErrors('prairielearn', syntax), null);
    assert.equal(syntax.gradable, false);
    assert.match(syntax.format_errors[0], /^Syntax error at line 1/);
    const error = JSON.parse(REPORTERS.prairielearn.render(results.error, tiny));
    assert.deepEqual([error.gradable, error.score], [true, 0]);
    const partial = JSON.parse(REPORTERS.prairielearn.render(results.partial, tiny));
    assert.equal(partial.score, Math.round((results.partial.score / results.partial.max_score) * 10_000) / 10_000);
  });
});

describe('junit', () => {
  for (const kind of ['passed', 'partial', 'wrong', 'error', 'syntax', 'internal']) {
    test(`${kind}: valid against the Ant and the Jenkins xUnit schemas; no empty value; the cases' times add up to the suite's`, async () => {
      const xml = REPORTERS.junit.render(results[kind], tiny);
      assert.deepEqual(await junitSchemaErrors(xml), []);
      assert.deepEqual(junitConsistencyErrors(xml), []);
    });
  }

  test('the validators do reject what the issue found: attributes on testsuites, no timestamp, an empty value, doubled times', async () => {
    const xml = REPORTERS.junit.render(results.partial, tiny);
    const old = xml
      .replace('<testsuites>', '<testsuites name="memgrade" tests="2">')
      .replace(/ timestamp="[^"]*"/, '')
      .replace('<property name="status"', '<property name="peak_bytes" value=""/><property name="status"')
      .replaceAll(/(<testcase [^>]*time=")[^"]*"/g, `$1${(Math.round(results.partial.duration_ms) / 1000).toFixed(3)}"`);
    const errors = await junitSchemaErrors(old);
    assert.ok(errors.some((e) => /^ant: .*testsuites.*name/.test(e)), errors.join('\n'));
    assert.ok(errors.some((e) => /^ant: .*timestamp/.test(e)), errors.join('\n'));
    assert.ok(!errors.some((e) => e.startsWith('jenkins:')), 'Jenkins\' schema allows both');
    const consistency = junitConsistencyErrors(old);
    assert.ok(consistency.some((e) => e.startsWith('an empty value')));
    assert.ok(consistency.some((e) => e.startsWith('the cases take')));
  });

  const parse = (xml: string) => new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
  const cases = (doc: { testsuites: { testsuite: { testcase: unknown } } }) => [doc.testsuites.testsuite.testcase].flat() as Record<string, unknown>[];

  test('a testsuite with a testcase per scored part; a passed case has no child', () => {
    const doc = parse(REPORTERS.junit.render(results.passed, tiny));
    assert.equal(doc.testsuites.testsuite.name, 'tiny-sum');
    assert.equal(doc.testsuites.testsuite.tests, '2');
    assert.equal(doc.testsuites.testsuite.failures, '0');
    assert.ok(cases(doc).every((c) => !('failure' in c) && !('error' in c)));
  });

  test('a failed part has a <failure> with the message; an error an <error>; markup is escaped', () => {
    const partial = parse(REPORTERS.junit.render(results.partial, tiny));
    assert.equal(partial.testsuites.testsuite.failures, '1');
    const failure = cases(partial)[1].failure as Record<string, string>;
    assert.equal(failure.type, 'memory_limit');
    assert.match(failure.message, /peak 2\.\d MiB; limit 2\.4 MiB/);
    const xml = REPORTERS.junit.render(results.error, tiny);
    assert.doesNotMatch(xml, /<b>|\u0001/);
    const error = parse(xml);
    assert.equal(error.testsuites.testsuite.errors, '2');
    assert.equal((cases(error)[0].error as Record<string, string>).type, 'runtime_error');
  });
});

describe('csv', () => {
  test('a header and one row per file; cells that look like formulas are defused', () => {
    const text = csvReport([
      { student: 'ada', status: 'passed', reason: null, peak_bytes: 1, score: 2, max_score: 2 },
      { student: '=cmd|"/c calc"!A1', status: 'error', reason: 'syntax_error', peak_bytes: null, score: 0, max_score: 2 },
    ]);
    assert.equal(text, 'student,status,reason,peak_bytes,score,max_score\r\nada,passed,,1,2,2\r\n"\'=cmd|""/c calc""!A1",error,syntax_error,,0,2\r\n');
  });
});
