// A result in the formats of the platforms courses grade on: Gradescope's results.json,
// PrairieLearn's external grader results.json, and JUnit XML (CI systems, CodeGrade). One test
// per scored part, the scores from score.ts, the memory test's output the text report.
import { mib, type Assignment, type GradeResult, type ScorePart } from '../grading/index.ts';
import { textReport } from './text-report.ts';

/** PrairieLearn refuses results over 1 MB; the report text is cut well below that. */
const PRAIRIELEARN_MAX_OUTPUT = 256 * 1024;

/** memgrade itself, not the submission, kept it from being graded. */
export const notGradable = (result: GradeResult) => result.reason === 'internal';

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
    const peak = result.peak_bytes === null ? 'no peak was measured' : `peak ${mib(result.peak_bytes)}`;
    return {
      part,
      view: {
        name: `Peak memory within ${mib(result.limit_bytes)}`,
        description: `the peak memory of ${assignment.manifest.entry_point}, measured as reachable ArrayBuffer bytes plus JS heap`,
        passed,
        message: `${peak}; limit ${mib(result.limit_bytes)}; ${part.score} of ${part.max_score} points`,
        output: report,
      },
    };
  });
}

/** Gradescope's results.json: `score` overrides the sum of the tests; `status` decides each test's colour. */
export function gradescopeReport(result: GradeResult, assignment: Assignment): string {
  const internal = notGradable(result);
  const tests = partViews(result, assignment).map(({ part, view }) => ({
    name: view.name,
    score: part.score,
    max_score: part.max_score,
    status: view.passed ? 'passed' : 'failed',
    output: part.part === 'memory' ? `${view.message}\n\n\`\`\`\n${view.output}\`\`\`` : view.output,
    output_format: 'md',
    visibility: 'visible',
  }));
  const results = {
    score: result.score,
    execution_time: Math.round(result.duration_ms) / 1000,
    output: internal
      ? `memgrade could not grade this submission (${result.message}). This is not your mistake: tell your instructor.`
      : `${result.status.toUpperCase()}: ${result.message}`,
    output_format: 'md',
    visibility: 'visible',
    stdout_visibility: 'hidden',
    tests,
    ...(result.peak_bytes === null ? {} : { leaderboard: [{ name: 'Peak (MiB)', value: Math.round((result.peak_bytes / 2 ** 20) * 10) / 10, order: 'asc' }] }),
  };
  return `${JSON.stringify(results, null, 2)}\n`;
}

/**
 * PrairieLearn's external grader results.json. A submission memgrade itself could not grade is
 * `gradable: false`, which PrairieLearn shows as an error and never counts as a zero.
 */
export function prairielearnReport(result: GradeResult, assignment: Assignment): string {
  const cutOutput = (text: string) => {
    if (text.length <= PRAIRIELEARN_MAX_OUTPUT) return text;
    return `${text.slice(0, PRAIRIELEARN_MAX_OUTPUT)}\n[... ${text.length - PRAIRIELEARN_MAX_OUTPUT} more characters cut]`;
  };
  if (notGradable(result)) {
    return `${JSON.stringify({ gradable: false, message: `memgrade could not grade this submission: ${result.message}`, output: '' }, null, 2)}\n`;
  }
  const tests = partViews(result, assignment).map(({ part, view }) => ({
    name: view.name,
    description: view.description,
    points: part.score,
    max_points: part.max_score,
    message: view.message,
    output: cutOutput(view.output),
  }));
  const results = {
    gradable: true,
    score: result.max_score > 0 ? Math.round((result.score / result.max_score) * 10_000) / 10_000 : 0,
    message: result.message,
    output: cutOutput(textReport(result, assignment)),
    tests,
  };
  return `${JSON.stringify(results, null, 2)}\n`;
}

const xml = (text: string) =>
  text
    // Characters XML 1.0 cannot carry at all.
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/** JUnit XML: a testsuite, a testcase per scored part, a <failure> (or <error>) that says why. */
export function junitReport(result: GradeResult, assignment: Assignment): string {
  const id = assignment.manifest.id;
  const seconds = (Math.round(result.duration_ms) / 1000).toFixed(3);
  const views = partViews(result, assignment);
  const error = result.status === 'error';
  const failures = error ? 0 : views.filter((v) => !v.view.passed).length;
  const errors = error ? views.length : 0;
  const cases = views.map(({ part, view }) => {
    const open = `    <testcase name="${xml(view.name)}" classname="memgrade.${xml(id)}" time="${seconds}">`;
    if (view.passed) return `${open}</testcase>`;
    const tag = error ? 'error' : 'failure';
    const type = error ? (result.reason ?? 'error') : part.part === 'memory' ? 'memory_limit' : 'wrong_result';
    return `${open}\n      <${tag} message="${xml(view.message)}" type="${xml(type)}">${xml(view.output)}</${tag}>\n    </testcase>`;
  });
  const properties = [
    ['status', result.status],
    ['reason', result.reason ?? ''],
    ['score', String(result.score)],
    ['max_score', String(result.max_score)],
    ['peak_bytes', result.peak_bytes === null ? '' : String(result.peak_bytes)],
    ['limit_bytes', String(result.limit_bytes)],
  ].map(([name, value]) => `      <property name="${name}" value="${xml(value)}"/>`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="memgrade" tests="${views.length}" failures="${failures}" errors="${errors}" time="${seconds}">`,
    `  <testsuite name="${xml(id)}" tests="${views.length}" failures="${failures}" errors="${errors}" time="${seconds}">`,
    '    <properties>',
    ...properties,
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
