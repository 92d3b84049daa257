// `npm run bench:report`: what a report costs to render, for the original exercise and for the
// largest result a submission can make (2,000 live 64 KiB buffers and 1,000 step calls), as
// sizes and as render times (median of 20) beside the JSON serialisation of the same result.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_ASSIGNMENTS_DIR, loadAssignment } from '../src/grading/assignments.ts';
import { grade } from '../src/grading/grade.ts';
import { htmlReport } from '../src/report/html-report.ts';
import { textReport } from '../src/report/text-report.ts';
import { SandboxProcess } from '../src/sandbox-host/sandbox-process.ts';
import { median, ms, ratio, table } from './stats.ts';

const RUNS = 20;
const assignment = loadAssignment(join(DEFAULT_ASSIGNMENTS_DIR, 'clinging-onto-memory'));
const WORST = readFileSync(new URL('../tests/fixtures/submissions/largest-report.js', import.meta.url), 'utf8');
const cases = [
  ['original', readFileSync(join(assignment.dir, 'solutions', 'original.js'), 'utf8')],
  ['2,000 buffers, 1,000 step calls', WORST],
] as const;

const timed = (render: () => string) => {
  const times: number[] = [];
  let out = '';
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    out = render();
    times.push(performance.now() - started);
  }
  return { ms: median(times), bytes: Buffer.byteLength(out) };
};

const sandbox = new SandboxProcess();
const rows: string[][] = [];
for (const [name, code] of cases) {
  const result = await grade(assignment, code, sandbox);
  const asJson = timed(() => JSON.stringify(result));
  const html = timed(() => htmlReport(result, assignment));
  const text = timed(() => textReport(result, assignment));
  rows.push([name, 'JSON', asJson.bytes.toLocaleString('en-US'), ms(asJson.ms), '1.00x']);
  rows.push([name, 'HTML page', html.bytes.toLocaleString('en-US'), ms(html.ms), ratio(html.ms, asJson.ms)]);
  rows.push([name, 'text', text.bytes.toLocaleString('en-US'), ms(text.ms), ratio(text.ms, asJson.ms)]);
}
await sandbox.close();
process.stdout.write(`median of ${RUNS} renders each, in ms; x JSON: against JSON.stringify of the same result\n`);
process.stdout.write(`${table(['result', 'format', 'bytes', 'ms', 'x JSON'], rows, ['l', 'l', 'r', 'r', 'r'])}\n`);
