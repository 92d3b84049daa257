// Every format of the registry on made-up results: the lines a student or a platform reads,
// and that a hostile string from a submission stays text in HTML and XML.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { verdict } from '../../src/grading/grade.ts';
import type { GradeResult } from '../../src/grading/result.ts';
import { versions } from '../../src/grading/versions.ts';
import { csv, csvReport, FORMATS, isFormat, mediaTypes, REPORTERS } from '../../src/report/registry.ts';
import { describeHolder, textReport } from '../../src/report/text-report.ts';
import { CODE, holder, overLimit, passed, reportOutcome, tiny } from './records.ts';

/** tiny-sum limited to 100 KB, as fibonacci-sequence is. */
const KB_SIZED = {
  ...tiny,
  manifest: { ...tiny.manifest, unit: { name: '1 KB', bytes: 1024 }, limits: { ...tiny.manifest.limits, peak_bytes: 102_400 } },
};
const crashed = () => verdict(tiny, { kind: 'crashed', message: 'the sandbox process died (SIGKILL)', peak: null }, 5);
const render = (format: keyof typeof REPORTERS, result: GradeResult) => REPORTERS[format].render(result, tiny);
const json = (format: 'gradescope' | 'prairielearn', result: GradeResult) => JSON.parse(render(format, result));

/** Markup in every string a submission can choose: step and holder names, messages, sites, stacks. */
function hostile(): GradeResult {
  const r = overLimit();
  const evil = '<script>alert(1)</script>';
  return {
    ...r,
    message: `wrong "quoted" 'single' & ${evil}`,
    peak_step: evil,
    steps: r.steps.map((s, i) => (i === 1 ? { ...s, name: evil } : s)),
    live_at_peak: r.live_at_peak.map((a) => ({
      ...a,
      step: evil,
      site: '<img src=x onerror=alert(1)>',
      holders: [{ ...a.holders[0], name: '<b>held</b>' }],
      hint: '`<i>x</i>` holds it',
    })),
    allocations: r.allocations.map((a) => ({ ...a, step: evil })),
    timeline: r.timeline.map((s) => ({ ...s, step: evil })),
    error: { name: 'Error', message: evil, line: null, column: null, stack: `Error: </pre>${evil}` },
  };
}

describe('text', () => {
  test('verdict, peak, holders with their hint, summary and the steps table', () => {
    const lines = textReport(overLimit(), tiny).split('\n');
    assert.equal(lines[0], 'FAILED tiny-sum (memory_limit)');
    assert.equal(lines[1], 'limited to 2.4 MiB but allocated 3.1 MiB at the peak, in double_it');
    assert.ok(lines.includes('Peak: 3.1 MiB (3250000 bytes: 2097152 in ArrayBuffers, 1152848 of JS heap); limit 2.4 MiB, room for 2 x 1 MB array.'));
    assert.ok(lines.includes('Allocations alive at the peak (in double_it), largest first:'));
    assert.ok(lines.includes('  -    1.0 MiB  #1 from load, allocated at load (tiny-sum/helpers.js:4)'));
    assert.ok(lines.includes('      held by local d in process_data (line 3)'));
    const hint =
      '`d` is not read after line 3 but still holds 1.0 MiB at the peak in double_it: ' +
      'reassign one variable at each step, or drop the reference once it is used';
    assert.ok(lines.includes(`      hint: ${hint}`));
    assert.ok(lines.includes('      held by no variable yet: it is the array being allocated, in double_it at line 9'));
    const steps = lines.indexOf('Steps:');
    assert.deepEqual(lines.slice(steps + 1, steps + 4), [
      '  step       calls  allocated  peak inside  live after  time',
      '  load           1    1.0 MiB      1.0 MiB     1.0 MiB  2 ms',
      '  double_it      2    2.0 MiB      2.0 MiB     2.0 MiB  3 ms  <- peak',
    ]);
    const tools = `memgrade ${versions.memgrade}, Node ${versions.node}, V8 ${versions.v8}, isolated-vm ${versions.isolated_vm}`;
    assert.equal(lines.at(-2), `Graded in 12 ms with ${tools}.`);
    assert.equal(lines.at(-1), '', 'ends with a newline');
  });

  test('passed has no reason; an error with no peak has no peak line, but its stack', () => {
    assert.equal(textReport(passed(), tiny).split('\n')[0], 'PASSED tiny-sum');
    const stack = 'TypeError: boom\n    at process_data (submission.js:1:30)';
    const threw = verdict(tiny, { kind: 'load_error', error: { name: 'TypeError', message: 'boom', stack }, report: null }, 1);
    const text = textReport(threw, tiny);
    assert.match(text, /^ERROR tiny-sum \(runtime_error\)\nthe submission failed while loading: TypeError: boom\n\nTypeError: boom\n {4}at process_data \(submission\.js:1:30\)\n/);
    assert.doesNotMatch(text, /^Peak:/m);
    assert.doesNotMatch(text, /^Steps:/m);
  });

  test('small allocations, holders past the eighth and a missing explanation', () => {
    const r = overLimit();
    const [first, second] = r.live_at_peak;
    const text = textReport(
      {
        ...r,
        untracked_at_peak_bytes: 512 * 1024,
        live_at_peak: [{ ...first, holders_omitted: 3 }, { ...second, site: null, holders: [], hint: null }],
        explanation: { ...r.explanation!, status: 'missing', reason: 'the replay ran out of time' },
      },
      tiny,
    );
    assert.match(text, /\n {6}held by local d in process_data \(line 3\); and 3 more\n/);
    assert.match(text, /#2 from double_it, allocated at \(small allocations\)\n {2}- {4}0\.5 MiB {2}in allocations under 1 KiB\n/);
    assert.match(text, /\n\(Who held what is missing: the replay ran out of time\.\)\n/);
  });

  test('an exercise limited to less than 1 MiB counts in KiB what is under 1 MiB, everywhere', () => {
    const over = verdict(KB_SIZED, reportOutcome({ peak_bytes: 141_946_232 }), 12, CODE);
    const lines = textReport(over, KB_SIZED).split('\n');
    assert.equal(lines[1], 'limited to 100.0 KiB but allocated 135.4 MiB at the peak, in double_it');
    assert.ok(lines.some((l) => l.startsWith('Peak: 135.4 MiB (141946232 bytes') && l.endsWith('limit 100.0 KiB, room for 100 x 1 KB.')), lines.join('\n'));
    const within = verdict(KB_SIZED, reportOutcome({ peak_bytes: 47_832 }), 12, CODE);
    assert.match(within.message, /^passed: peak 46\.7 KiB \(in double_it\) is within the 100\.0 KiB limit/);
    assert.match(REPORTERS.html.render(within, KB_SIZED), /peaked at 46\.7 KiB, within the 100\.0 KiB limit/);
    const gradescope = JSON.parse(REPORTERS.gradescope.render(within, KB_SIZED));
    assert.deepEqual(gradescope.leaderboard, [{ name: 'Peak (KiB)', value: 46.7, order: 'asc' }]);
    assert.equal(gradescope.tests[1].name, 'Peak memory within 100.0 KiB');
  });

  test('describeHolder, for each kind of holder', () => {
    assert.equal(describeHolder(holder()), 'local d in process_data (line 3)');
    assert.equal(describeHolder(holder({ kind: 'parameter', name: 'input', line: null })), 'parameter input in process_data');
    assert.equal(describeHolder(holder({ kind: 'closure', name: 'cache', function: 'make', line: 2 })), 'closure cache in make (line 2)');
    assert.equal(describeHolder(holder({ kind: 'global', name: 'data', line: null })), 'the top-level data');
    assert.equal(describeHolder(holder({ kind: 'module', name: 'data' })), 'the top-level data');
    assert.equal(describeHolder(holder({ kind: 'property', name: 'state.data' })), 'property state.data in process_data (line 3)');
    assert.equal(describeHolder(holder({ kind: 'temporary', name: 'the argument of double_it', line: 4 })), 'the argument of double_it (line 4)');
    assert.equal(
      describeHolder(holder({ kind: 'new', name: 'the array being allocated', function: 'load', line: null })),
      'no variable yet: it is the array being allocated, in load',
    );
  });
});

describe('html', () => {
  test('a headline for each kind of verdict', () => {
    const headline = (r: GradeResult) => /<h1 id="verdict">(.*?)<\/h1>/.exec(render('html', r))?.[1];
    assert.equal(headline(passed()), 'Passed: process_data peaked at 2.3 MiB, within the 2.4 MiB limit, and its result is correct.');
    assert.equal(headline(overLimit()), 'Not yet: process_data peaked at 3.1 MiB, over the 2.4 MiB limit. Its result is correct.');
    const wrong = verdict(tiny, reportOutcome({ check: { correct: false, message: 'no', first_bad_index: 0 } }), 1);
    assert.equal(headline(wrong), 'Not yet: process_data ran, but its result is not the expected one.');
    assert.equal(headline(crashed()), 'Could not grade this submission (internal).');
  });

  test('the steps table marks the peak step, the holders table quotes the hint as code', () => {
    const html = render('html', overLimit());
    assert.match(html, /<tr class="at-peak"><td><svg class="swatch" aria-hidden="true" width="11" height="11"><rect width="11" height="11" rx="2" fill="#[0-9a-f]{6}"\/><\/svg>double_it <strong>\(peak\)<\/strong><\/td><td class="num">2<\/td>/);
    assert.match(html, /<td>local d in process_data \(line 3\)<\/td><td><code>d<\/code> is not read after line 3 but/);
    assert.match(html, /<svg id="timeline" /);
    assert.match(html, /<svg id="icicle" /);
    assert.match(html, /<title>memgrade: tiny-sum, failed<\/title>/);
  });

  test('nothing to draw leaves out the charts and tables', () => {
    const html = render('html', crashed());
    assert.doesNotMatch(html, /<svg|<table/);
    assert.match(html, /<header class="error">/);
  });

  test('markup from the submission is escaped everywhere it is shown', () => {
    const html = render('html', hostile());
    assert.doesNotMatch(html, /<script|<img|<b>held|<i>x/);
    assert.doesNotMatch(html, /<\/pre><script/);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt; <strong>\(peak\)<\/strong>/);
    assert.match(html, /<p>wrong &quot;quoted&quot; &#39;single&#39; &amp; &lt;script&gt;/);
    assert.match(html, /<code>&lt;img src=x onerror=alert\(1\)&gt;<\/code>/);
    assert.match(html, /<td><code>&lt;i&gt;x&lt;\/i&gt;<\/code> holds it<\/td>/);
    assert.match(html, /<pre>Error: &lt;\/pre&gt;&lt;script&gt;/);
  });
});

describe('json', () => {
  test('the result itself, indented, with a final newline', () => {
    const r = overLimit();
    const text = render('json', r);
    assert.deepEqual(JSON.parse(text), r);
    assert.ok(text.startsWith('{\n  "assignment": "tiny-sum",'));
    assert.ok(text.endsWith('}\n'));
  });
});

describe('gradescope', () => {
  test('one test per scored part, the overall score, and the peak on the leaderboard', () => {
    const out = json('gradescope', overLimit());
    assert.equal(out.score, 1.5);
    assert.equal(out.execution_time, 0.012);
    assert.equal(out.output, 'FAILED: limited to 2.4 MiB but allocated 3.1 MiB at the peak, in double_it');
    assert.deepEqual(
      out.tests.map((t: { name: string; score: number; max_score: number; status: string }) => [t.name, t.score, t.max_score, t.status]),
      [
        ['Correct result', 1, 1, 'passed'],
        ['Peak memory within 2.4 MiB', 0.5, 1, 'failed'],
      ],
    );
    assert.equal(out.tests[0].output, 'all 1000 values match');
    assert.ok(out.tests[1].output.startsWith('peak 3.1 MiB; limit 2.4 MiB; 0.5 of 1 points\n\n```\nFAILED tiny-sum (memory_limit)\n'));
    assert.deepEqual(out.leaderboard, [{ name: 'Peak (MiB)', value: 3.1, order: 'asc' }]);
  });

  test('the verdict is said once, in capitals, before the message', () => {
    assert.equal(json('gradescope', passed()).output, 'PASSED: peak 2.3 MiB (in double_it) is within the 2.4 MiB limit, and all 1000 values match');
  });

  test("memgrade's own failure tells the student it is not theirs, with no leaderboard entry", () => {
    const out = json('gradescope', crashed());
    assert.equal(out.output, 'memgrade could not grade this submission (the sandbox process died (SIGKILL)). This is not your mistake: tell your instructor.');
    assert.equal(out.score, 0);
    assert.equal('leaderboard' in out, false);
  });

  test('a wrong result on hidden input says so in the correctness test', () => {
    const out = json('gradescope', verdict(tiny, reportOutcome({}, { correct: false, message: 'sum differs' }), 1));
    assert.equal(out.tests[0].status, 'failed');
    assert.match(out.tests[0].output, /^wrong result on hidden input/);
  });
});

describe('prairielearn', () => {
  test('the score as a fraction, points per test', () => {
    const out = json('prairielearn', overLimit());
    assert.equal(out.gradable, true);
    assert.equal(out.score, 0.75);
    assert.deepEqual(out.tests.map((t: { points: number; max_points: number }) => [t.points, t.max_points]), [[1, 1], [0.5, 1]]);
    assert.ok(out.output.startsWith('FAILED tiny-sum (memory_limit)\n'));
  });

  test("memgrade's own failure is not gradable, so it never counts as a zero", () => {
    const out = json('prairielearn', crashed());
    assert.deepEqual(
      { ...out, output: undefined },
      {
        gradable: false,
        message:
          'memgrade could not grade this submission (the sandbox process died (SIGKILL)). ' +
          'This is not your mistake, and this attempt does not count: tell your instructor.',
        output: undefined,
        format_errors: ['memgrade could not grade this submission (the sandbox process died (SIGKILL)).'],
      },
    );
    assert.ok(out.output.startsWith('ERROR tiny-sum (internal)\n'));
  });

  test('a submission that does not parse is not gradable either, as PrairieLearn\'s own example has it: no attempt counted', () => {
    const syntax = verdict(tiny, { kind: 'syntax_error', message: 'Unexpected token', line: 1, column: 25 }, 3);
    const out = json('prairielearn', syntax);
    assert.equal(out.gradable, false);
    assert.equal('score' in out, false);
    assert.deepEqual(out.format_errors, ['Syntax error at line 1, column 25: Unexpected token.']);
    assert.match(out.message, /does not count: fix it and submit again\.$/);
  });

  test('an output past 256 KiB is cut, and says how much', () => {
    const out = json('prairielearn', { ...overLimit(), message: 'x'.repeat(300_000) });
    assert.match(out.output, /\n\[\.\.\. \d+ more characters cut\]$/);
    assert.equal(out.output.length, 256 * 1024 + `\n[... ${out.output.match(/(\d+) more/)[1]} more characters cut]`.length);
  });
});

describe('junit', () => {
  test('a failure for the missed part only, typed by what was missed', () => {
    const xml = REPORTERS.junit.render(overLimit(), tiny, { startedAt: '2026-01-02T03:04:05.678Z' });
    assert.match(xml, /\n<testsuites>\n/);
    assert.match(
      xml,
      /<testsuite name="tiny-sum" package="memgrade" id="0" timestamp="2026-01-02T03:04:05" hostname="localhost" tests="2" failures="1" errors="0" skipped="0" time="0\.012">/,
    );
    // The run's 12 ms, split: the measuring (1.5 ms, rounded) to the memory case, the rest to the other.
    assert.match(xml, /<testcase name="Correct result" classname="memgrade\.tiny-sum" time="0\.010"><\/testcase>/);
    assert.match(xml, /<testcase name="Peak memory within 2\.4 MiB" classname="memgrade\.tiny-sum" time="0\.002">/);
    assert.match(xml, /<system-out>limited to 2\.4 MiB but allocated 3\.1 MiB at the peak, in double_it\nGraded in 12 ms with memgrade /);
    assert.match(xml, /<failure message="peak 3\.1 MiB; limit 2\.4 MiB; 0\.5 of 1 points" type="memory_limit">FAILED tiny-sum/);
    assert.match(xml, /<property name="peak_bytes" value="3250000"\/>/);
    assert.match(xml, /3 ms {2}&lt;- peak\n/);
  });

  test('an error is an <error> on every part, typed by its reason', () => {
    const xml = render('junit', crashed());
    assert.match(xml, /tests="2" failures="0" errors="2"/);
    assert.equal(xml.match(/<error message="[^"]*" type="internal">/g)?.length, 2);
    assert.doesNotMatch(xml, /name="peak_bytes"/, 'a missing value is left out');
    assert.doesNotMatch(xml, /=""/);
  });

  test('markup is escaped and characters XML cannot carry are replaced', () => {
    const xml = render('junit', { ...hostile(), message: 'a\u0001b <x> & "q"' });
    assert.doesNotMatch(xml, /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
    assert.match(xml, /a\uFFFDb &lt;x&gt; &amp; &quot;q&quot;/);
    assert.doesNotMatch(xml, /<script/);
  });
});

describe('csv and the registry', () => {
  test('a gradebook row per student; formula-looking cells are defused, quotes doubled', () => {
    const text = csvReport([
      { student: 'ada', status: 'passed', reason: null, peak_bytes: 2_400_000, score: 2, max_score: 2 },
      { student: '=HYPERLINK("x")', status: 'failed', reason: 'memory_limit', peak_bytes: null, score: 1.5, max_score: 2 },
      { student: 'lee, "al"', status: 'error', reason: 'internal', peak_bytes: null, score: null, max_score: null },
    ]);
    assert.equal(
      text,
      'student,status,reason,peak_bytes,score,max_score\r\n' +
        'ada,passed,,2400000,2,2\r\n' +
        `"'=HYPERLINK(""x"")",failed,memory_limit,,1.5,2\r\n` +
        '"lee, ""al""",error,internal,,,\r\n',
    );
    assert.equal(csv(['a'], [['+1'], ['-2'], ['@x'], ['line\nbreak']]), "a\r\n'+1\r\n'-2\r\n'@x\r\n\"line\nbreak\"\r\n");
  });

  test('the formats, their media types, and names that are not formats', () => {
    assert.deepEqual(FORMATS, ['json', 'text', 'html', 'gradescope', 'prairielearn', 'junit']);
    assert.deepEqual(
      FORMATS.map((f) => mediaTypes(REPORTERS[f])),
      [
        ['application/json'],
        ['text/plain'],
        ['text/html'],
        ['application/vnd.memgrade.gradescope+json'],
        ['application/vnd.memgrade.prairielearn+json'],
        ['application/xml', 'text/xml'],
      ],
    );
    const types = FORMATS.flatMap((f) => mediaTypes(REPORTERS[f]));
    assert.equal(new Set(types).size, types.length, 'a media type names one format');
    for (const f of FORMATS) assert.match(REPORTERS[f].description, /^\S.*\S$/, `${f} says what it is`);
    assert.equal(isFormat('junit'), true);
    assert.equal(isFormat('csv'), false);
    assert.equal(isFormat('toString'), false, 'an inherited property is not a format');
  });
});
