// The student's page (/): sign in, pick an assignment and read it, write or load code, submit,
// watch the grading, read the verdict and the report, and see one's own submissions. Everything
// comes from the API with the tab's token; a student token can only ever read its own work (the
// API answers 404 for another's).
import type { AssignmentView, Submission, SubmissionPage, SubmissionSummary } from '../src/http/schemas.ts';
import type { Caller } from '../src/http/token-schemas.ts';
import { ApiFailure, explain, getJson, sendJson } from './api.ts';
import { badge, byId, bytesInWords, fill, h, mib, score, scrolling, VERDICT_WORDS, when } from './dom.ts';
import { codeEditor, type CodeEditor } from './editor.ts';
import { markdownToFragment } from './markdown.ts';
import { follow, type Progress } from './progress.ts';
import { showReport } from './report.ts';
import { session, signedOutBy } from './session.ts';

const ASSIGNMENT_KEY = 'memgrade.assignment';
const STATUS_WORDS: Record<string, string> = {
  queued: 'Queued: waiting for a grader.',
  running: 'Running: your code is being graded.',
  done: 'Done.',
};

let caller: Caller;
let assignments: AssignmentView[] = [];
let current: AssignmentView | undefined;
let editor: CodeEditor;
/** What was written for each assignment, kept while the page is open. */
const drafts = new Map<string, string>();
let following: AbortController | null = null;

function failed(where: string, error: unknown): void {
  if (signedOutBy(error)) return;
  byId(where).textContent = explain(error);
}

function choose(id: string): void {
  if (current) drafts.set(current.id, editor.text());
  current = assignments.find((a) => a.id === id) ?? assignments[0];
  if (!current) return;
  sessionStorage.setItem(ASSIGNMENT_KEY, current.id);
  byId<HTMLSelectElement>('assignment').value = current.id;
  const { limits } = current;
  fill(
    byId('assignment-limits'),
    `${current.summary} Limit: a peak of ${mib(current.limit_bytes)}. Code of at most ${bytesInWords(limits.max_code_bytes)}; ` +
      `it may run for ${limits.timeout_ms / 1000} s.`,
  );
  fill(byId('readme'), markdownToFragment(current.description, 3));
  editor.setText(drafts.get(current.id) ?? current.starter_code);
  void loadHistory();
}

async function loadFile(input: HTMLInputElement): Promise<void> {
  const file = input.files?.[0];
  byId('submit-error').textContent = '';
  byId('submit-notice').textContent = '';
  if (!file || !current) return;
  const max = current.limits.max_code_bytes;
  if (file.size > max) {
    byId('submit-error').textContent =
      `Too large: ${file.name} is ${bytesInWords(file.size)}, and ${current.title} accepts code of at most ${bytesInWords(max)}. ` +
      'Choose a smaller file.';
    input.value = '';
    return;
  }
  editor.setText(await file.text());
  byId('submit-notice').textContent = `Loaded ${file.name} into the editor: press Submit to grade it.`;
}

function showProgress(p: Progress): void {
  byId('progress-section').hidden = false;
  const order = ['queued', 'running', 'done'];
  const at = order.indexOf(p.status);
  for (const item of byId('progress').querySelectorAll('li')) {
    const index = order.indexOf(item.dataset.step ?? '');
    item.classList.toggle('reached', index <= at);
    item.classList.toggle('current', index === at);
    if (index === at) item.setAttribute('aria-current', 'step');
    else item.removeAttribute('aria-current');
  }
  byId('progress-status').textContent = STATUS_WORDS[p.status] ?? p.status;
}

function summary(submission: Submission): HTMLElement {
  const result = submission.result;
  if (result === null) return h('p', {}, 'Not graded yet.');
  const { peak_bytes: peak, limit_bytes: limit } = result;
  const against =
    peak === null
      ? 'not measured: the code did not run to the end'
      : `${mib(peak)} against the ${mib(limit)} limit (${peak > limit ? `${mib(peak - limit)} over` : `${mib(limit - peak)} to spare`})`;
  return h(
    'div',
    { class: `verdict ${result.status}` },
    h('p', { class: 'title', id: 'verdict-title' }, `${VERDICT_WORDS[result.status] ?? result.status}: ${submission.assignment}`),
    h(
      'dl',
      {},
      h('dt', {}, 'Score'),
      h('dd', {}, score(result.score, result.max_score)),
      h('dt', {}, 'Peak'),
      h('dd', { id: 'verdict-peak' }, against),
      h('dt', {}, 'Submitted'),
      h('dd', {}, when(submission.created_at)),
    ),
    peak === null
      ? null
      : h('meter', {
          min: 0,
          max: Math.max(limit, peak),
          high: limit,
          low: limit * 0.999,
          optimum: 0,
          value: peak,
          'aria-label': 'Peak memory against the limit',
        }),
  );
}

/** Shows a done submission: the summary, then the report's parts. */
async function showResult(id: string, focus: boolean): Promise<void> {
  const submission = await getJson<Submission>(`/v1/submissions/${encodeURIComponent(id)}`);
  const section = byId('result-section');
  section.hidden = false;
  fill(byId('summary'), summary(submission));
  fill(byId('report'), h('p', {}, 'Loading the report...'));
  history.replaceState(null, '', `#submission/${id}`);
  if (focus) section.focus();
  await showReport(byId('report'), id, 3);
}

async function watch(id: string): Promise<void> {
  following?.abort();
  const controller = new AbortController();
  following = controller;
  byId('result-section').hidden = true;
  showProgress({ id, status: 'queued' });
  try {
    await follow(id, showProgress, controller.signal);
    if (controller.signal.aborted) return;
    await showResult(id, true);
  } catch (error) {
    if (!controller.signal.aborted) failed('progress-status', error);
  } finally {
    void loadHistory();
  }
}

async function submit(button: HTMLButtonElement): Promise<void> {
  if (!current) return;
  byId('submit-error').textContent = '';
  byId('submit-notice').textContent = '';
  const code = editor.text();
  if (code.trim() === '') {
    byId('submit-error').textContent = 'There is no code to submit: write it in the editor, or load a file.';
    return;
  }
  button.disabled = true;
  try {
    const body: { assignment: string; code: string; student?: string } = { assignment: current.id, code };
    // An instructor trying the page files the submission under its own name, as a student would.
    if (caller.role === 'instructor' && caller.name !== null) body.student = caller.name;
    const accepted = await sendJson<{ id: string }>('POST', '/v1/submissions', body);
    byId('submit-notice').textContent = 'Submitted.';
    void watch(accepted.id);
  } catch (error) {
    failed('submit-error', error);
  } finally {
    button.disabled = false;
  }
}

function historyRow(s: SubmissionSummary, withStudent: boolean): HTMLTableRowElement {
  const v = s.verdict;
  return h(
    'tr',
    {},
    h('td', {}, when(s.created_at)),
    withStudent ? h('td', {}, s.student ?? '-') : null,
    h('td', {}, v === null ? badge(null, s.status) : badge(v.status)),
    h('td', { class: 'num' }, v === null ? '-' : score(v.score, v.max_score)),
    h('td', { class: 'num' }, v?.peak_bytes == null ? '-' : mib(v.peak_bytes)),
    h(
      'td',
      {},
      h('a', { href: `#submission/${s.id}` }, 'Show', h('span', { class: 'visually-hidden' }, ` the submission of ${new Date(s.created_at).toLocaleString()}`)),
    ),
  );
}

async function loadHistory(): Promise<void> {
  if (!current) return;
  const mine = caller.role === 'student';
  try {
    const page = await getJson<SubmissionPage>(`/v1/submissions?assignment=${encodeURIComponent(current.id)}&limit=20`);
    fill(byId('history-title'), mine ? 'Your submissions' : 'Submissions (all students: this is an instructor token)');
    if (page.items.length === 0) return fill(byId('history'), h('p', {}, `No submission of ${current.title} yet.`));
    const table = h(
      'table',
      {},
      h('caption', {}, `${current.title}: the latest ${page.items.length}, newest first`),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Submitted'),
          mine ? null : h('th', { scope: 'col' }, 'Student'),
          h('th', { scope: 'col' }, 'Verdict'),
          h('th', { scope: 'col', class: 'num' }, 'Score'),
          h('th', { scope: 'col', class: 'num' }, 'Peak'),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Result')),
        ),
      ),
      h('tbody', {}, ...page.items.map((s) => historyRow(s, !mine))),
    );
    fill(byId('history'), scrolling('List of submissions', table));
  } catch (error) {
    if (!signedOutBy(error)) fill(byId('history'), h('p', { class: 'error' }, explain(error)));
  }
}

/** #submission/ID: that submission, followed to its end if it is not done. */
async function fromHash(): Promise<void> {
  const match = /^#submission\/([A-Za-z0-9._-]+)$/.exec(location.hash);
  if (!match) return;
  const id = match[1];
  try {
    const submission = await getJson<Submission>(`/v1/submissions/${encodeURIComponent(id)}`);
    if (submission.status !== 'done') return void watch(id);
    byId('progress-section').hidden = true;
    await showResult(id, true);
  } catch (error) {
    if (signedOutBy(error)) return;
    byId('result-section').hidden = false;
    const missing = error instanceof ApiFailure && error.status === 404;
    fill(byId('summary'), h('p', { class: 'error' }, missing ? 'There is no such submission of yours.' : explain(error)));
    fill(byId('report'));
  }
}

void session(async (who) => {
  caller = who;
  editor = codeEditor(byId('editor'), 'Code');
  byId('code-label').addEventListener('click', () => editor.focus());
  const select = byId<HTMLSelectElement>('assignment');
  try {
    assignments = (await getJson<{ items: AssignmentView[] }>('/v1/assignments')).items;
  } catch (error) {
    return failed('submit-error', error);
  }
  select.replaceChildren(...assignments.map((a) => h('option', { value: a.id }, a.title)));
  select.addEventListener('change', () => choose(select.value));
  const file = byId<HTMLInputElement>('file');
  file.addEventListener('change', () => void loadFile(file));
  const form = byId<HTMLFormElement>('submit-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit(byId<HTMLButtonElement>('submit'));
  });
  choose(sessionStorage.getItem(ASSIGNMENT_KEY) ?? assignments[0]?.id ?? '');
  window.addEventListener('hashchange', () => void fromHash());
  await fromHash();
});
