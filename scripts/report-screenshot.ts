// Renders a grading's report page in headless Chromium and saves a screenshot: the picture in
// the README comes from here. Usage: node --no-node-snapshot scripts/report-screenshot.ts FILE OUT.png
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_ASSIGNMENTS_DIR, loadAssignments } from '../src/grading/assignments.ts';
import { grade } from '../src/grading/grade.ts';
import { htmlReport } from '../src/report/html-report.ts';
import { SandboxProcess } from '../src/sandbox-host/sandbox-process.ts';
import { launchChromium } from '../tests/browser.ts';

const [file, out] = process.argv.slice(2);
if (!file || !out) throw new Error('usage: report-screenshot.ts FILE OUT.png');
const assignment = loadAssignments([DEFAULT_ASSIGNMENTS_DIR]).get('clinging-onto-memory')!;
const sandbox = new SandboxProcess();
const result = await grade(assignment, readFileSync(file, 'utf8'), sandbox);
await sandbox.close();
const page = join(tmpdir(), 'memgrade-report.html');
writeFileSync(page, htmlReport(result, assignment));
const browser = await launchChromium();
const tab = await browser.newPage({ viewport: { width: 1040, height: 900 } });
await tab.goto(pathToFileURL(page).href);
await tab.screenshot({ path: out, fullPage: true });
await browser.close();
console.log(`${out}: ${result.status}, peak ${result.peak_bytes}`);
