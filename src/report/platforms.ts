// A result in the formats of the platforms courses grade on: Gradescope's results.json,
// PrairieLearn's external grader results.json, and JUnit XML (CI systems, CodeGrade). One test
// per scored part, the scores from score.ts, the memory test's output the text report.
import { sizes, type Assignment, type GradeResult, type ScorePart } from '../grading/index.ts';
import type { GradescopeResults, PrairieLearnResults } from './platform-schemas.ts';
import { textReport } from './text-report.ts';

/** PrairieLearn refuses results over 1 MB; the report text is cut well below that. */
const PRAIRIELEARN_MAX_OUTPUT = 256 * 1024;

/** memgrade itself, not the submission, kept it from being graded. */
const notGradable = (result: GradeResult) => result.reason === 'internal';

/**
 * A submission that could not be run at all (it does not parse, defines no entry point, or was
 * refused before it ran): PrairieLearn's "invalid, not gradable", whose documentation gives a
 * syntax error as the example. No points are awarded or lost and the attempt does not count.
 */
const invalidInput = (result: GradeResult) =>
  result.reason === 'syntax_error' || result.reason === 'missing_entry_point' || result.reason === 'invalid_submission';

interface PartView {
  name: string;
  description: string;
  passed: boolean;
  message: string;
  output: string;
}

function partViews(result: GradeResult, assignment: Assignment): { part: ScorePart; view: PartView }[] {
  const report = textReport(result, assignment);
  return result.score_parts.map((part) => {
    const passed = part.score >= part.max_score;
    if (part.part === 'correct') {
      const check = result.hidden_check?.correct === false ? `hidden input: ${result.hidden_check.message}` : (result.check?.message ?? result.message);
      return {
        part,
        view: {
          name: 'Correct result',
          description: `${assignment.manifest.entry_point} returns the expected result, on the usual input and on hidden input`,
          passed,
          message: result.status === 'error' ? result.message : check,
          output: passed ? check : result.message,
        },
      };
    }
    const shown = sizes(result.limit_bytes);
    const peak = result.peak_bytes === null ? 'no peak was measured' : `peak ${shown(result.peak_bytes)}`;
    return {
      part,
      view: {
        name: `Peak memory within ${shown(result.limit_bytes)}`,
        description: `the peak memory of ${assignment.manifest.entry_point}, measured as reachable ArrayBuffer bytes plus JS heap`,
        passed,
        message: `${peak}; limit ${shown(result.limit_bytes)}; ${part.score} of ${part.max_score} points`,
        output: report,
      },
    };
  });
}

/** The peak on Gradescope's leaderboard, in KiB for an exercise limited to less than 1 MiB, else in MiB. */
const leaderboardPeak = (peak: number, limit: number) => {
  const [unit, bytes] = limit < 2 ** 20 ? ['KiB', 2 ** 10] : ['MiB', 2 ** 20];
  return { name: `Peak (${unit})`, value: Math.round((peak / bytes) * 10) / 10, order: 'asc' as const };
};

/** Gradescope's results.json: `score` overrides the sum of the tests; `status` decides each test's colour. */
export function gradescopeReport(result: GradeResult, assignment: Assignment): string {
  const internal = notGradable(result);
  const tests: GradescopeResults['tests'] = partViews(result, assignment).map(({ part, view }) => ({
    name: view.name,
    score: part.score,
    max_score: part.max_score,
    status: view.passed ? 'passed' : 'failed',
    output: part.part === 'memory' ? `${view.message}\n\n\`\`\`\n${view.output}\`\`\`` : view.output,
    output_format: 'md',
    visibility: 'visible',
  }));
  // The verdict once: a message that starts with it ("passed: peak ...") is not prefixed again.
  const said = result.message.startsWith(`${result.status}: `) ? result.message.slice(result.status.length + 2) : result.message;
  const results: GradescopeResults = {
    score: result.score,
    execution_time: Math.round(result.duration_ms) / 1000,
    output: internal
      ? `memgrade could not grade this submission (${result.message}). This is not your mistake: tell your instructor.`
      : `${result.status.toUpperCase()}: ${said}`,
    output_format: 'md',
    visibility: 'visible',
    stdout_visibility: 'hidden',
    tests,
    ...(result.peak_bytes === null ? {} : { leaderboard: [leaderboardPeak(result.peak_bytes, result.limit_bytes)] }),
  };
  return `${JSON.stringify(results, null, 2)}\n`;
}

/** Gradescope's results.json when nothing could be graded (no file, several, a link): a zero that says why. */
export function gradescopeFailure(message: string): string {
  const results: GradescopeResults = { score: 0, output: message, output_format: 'md', stdout_visibility: 'hidden', tests: [] };
  return `${JSON.stringify(results, null, 2)}\n`;
}

/** PrairieLearn refuses results over 1 MB: a long text is cut well below that. */
const cutOutput = (text: string) => {
  if (text.length <= PRAIRIELEARN_MAX_OUTPUT) return text;
  return `${text.slice(0, PRAIRIELEARN_MAX_OUTPUT)}\n[... ${text.length - PRAIRIELEARN_MAX_OUTPUT} more characters cut]`;
};

/**
 * PrairieLearn's external grader results.json. As PrairieLearn's documentation has it, a
 * submission that cannot be graded (its example: a syntax error) is `gradable: false`: "invalid,
 * not gradable", no points awarded or lost, no attempt counted. So is one that memgrade itself
 * failed to grade: never a zero.
 */
export function prairielearnReport(result: GradeResult, assignment: Assignment): string {
  if (notGradable(result)) {
    return prairielearnFailure(`memgrade could not grade this submission (${result.message}).`, 'internal', textReport(result, assignment));
  }
  if (invalidInput(result)) return prairielearnFailure(`${capitalized(result.message)}.`, 'invalid', textReport(result, assignment));
  const tests = partViews(result, assignment).map(({ part, view }) => ({
    name: view.name,
    description: view.description,
    points: part.score,
    max_points: part.max_score,
    message: view.message,
    output: cutOutput(view.output),
  }));
  const results: PrairieLearnResults = {
    gradable: true,
    score: result.max_score > 0 ? Math.round((result.score / result.max_score) * 10_000) / 10_000 : 0,
    message: result.message,
    output: cutOutput(textReport(result, assignment)),
    tests,
  };
  return `${JSON.stringify(results, null, 2)}\n`;
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * PrairieLearn's results.json for a submission that was not graded: `gradable: false`, with why
 * in `format_errors`. `invalid`: the student's input cannot be graded as it is (it does not parse,
 * there is no file, ...), and the student is told to fix it; `internal`: memgrade failed, which is
 * not the student's doing.
 */
export function prairielearnFailure(message: string, kind: 'invalid' | 'internal', output = ''): string {
  const said =
    kind === 'invalid'
      ? `${message} This attempt is not graded and does not count: fix it and submit again.`
      : `${message} This is not your mistake, and this attempt does not count: tell your instructor.`;
  const results: PrairieLearnResults = { gradable: false, message: said, output: cutOutput(output || said), format_errors: [message] };
  return `${JSON.stringify(results, null, 2)}\n`;
}

const xml = (text: string) =>
  text
    // Characters XML 1.0 cannot carry at all.
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/** What a reporter may be told besides the result: when the grading started (JUnit's timestamp). */
export interface ReportContext {
  /** ISO 8601; by default, the result's duration before now (right for a grading that just ended). */
  startedAt?: string | null;
}

/**
 * JUnit XML, valid against both published schemas (tests/fixtures/junit: Apache Ant's, the strict
 * one, and Jenkins xUnit's): `testsuites` without attributes around one `testsuite` (with
 * `package`, `id`, `timestamp` and `hostname`, `properties`, `system-out`, `system-err`), a
 * testcase per scored part, a <failure> (or <error>) that says why. A value that is missing is
 * left out, never written empty; the cases' times add up to the suite's.
 */
export function junitReport(result: GradeResult, assignment: Assignment, context: ReportContext = {}): string {
  const id = assignment.manifest.id;
  const views = partViews(result, assignment);
  const error = result.status === 'error';
  const failures = error ? 0 : views.filter((v) => !v.view.passed).length;
  const errors = error ? views.length : 0;
  // In whole milliseconds, so that the cases add up exactly: the memory part took the measuring
  // (measurement.measure_ms), the other the rest of the run.
  const total = Math.max(0, Math.round(result.duration_ms));
  const measuring = Math.min(total, Math.max(0, Math.round(result.measurement.measure_ms)));
  const times = views.map(({ part }) => (part.part === 'memory' ? measuring : 0));
  const main = Math.max(0, views.findIndex(({ part }) => part.part !== 'memory'));
  if (views.length > 0) times[main] += total - times.reduce((sum, t) => sum + t, 0);
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const cases = views.map(({ part, view }, i) => {
    const open = `    <testcase name="${xml(view.name)}" classname="memgrade.${xml(id)}" time="${seconds(times[i])}">`;
    if (view.passed) return `${open}</testcase>`;
    const tag = error ? 'error' : 'failure';
    const type = error ? (result.reason ?? 'error') : part.part === 'memory' ? 'memory_limit' : 'wrong_result';
    return `${open}\n      <${tag} message="${xml(view.message)}" type="${xml(type)}">${xml(view.output)}</${tag}>\n    </testcase>`;
  });
  const properties = (
    [
      ['status', result.status],
      ['reason', result.reason],
      ['score', result.score],
      ['max_score', result.max_score],
      ['peak_bytes', result.peak_bytes],
      ['limit_bytes', result.limit_bytes],
    ] as const
  )
    .filter(([, value]) => value !== null)
    .map(([name, value]) => `      <property name="${name}" value="${xml(String(value))}"/>`);
  const started = context.startedAt ? new Date(context.startedAt) : new Date(Date.now() - total);
  const v = result.versions;
  const out = `${result.message}\nGraded in ${total} ms with memgrade ${v.memgrade}, Node ${v.node}, V8 ${v.v8}, isolated-vm ${v.isolated_vm}.\n`;
  const suite = [
    `name="${xml(id)}"`,
    'package="memgrade"',
    'id="0"',
    // The Ant schema's pattern: to the second, no zone (UTC here).
    `timestamp="${started.toISOString().slice(0, 19)}"`,
    // The schema's word for a host that is not known: the result does not record where it was
    // graded, and the service does not tell its host name.
    'hostname="localhost"',
    `tests="${views.length}"`,
    `failures="${failures}"`,
    `errors="${errors}"`,
    'skipped="0"',
    `time="${seconds(total)}"`,
  ].join(' ');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<testsuites>',
    `  <testsuite ${suite}>`,
    '    <properties>',
    ...properties,
    '    </properties>',
    ...cases,
    `    <system-out>${xml(out)}</system-out>`,
    '    <system-err/>',
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
