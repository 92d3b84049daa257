// The instructor's page (/instructor): per assignment, the gradebook (one row per student, with
// a link to the report of their latest submission), a histogram of the peaks against the limit,
// regrade and CSV; and the tokens (add, shown once; list; revoke). A student token sees none of
// it: the page says so and asks the API for nothing of the class (which would answer 403 anyway).
import type { AssignmentView, Gradebook } from '../src/http/schemas.ts';
import type { Caller, TokenView } from '../src/http/token-schemas.ts';
import { explain, getJson, keepToken, request, sendJson } from './api.ts';
import { badge, byId, fill, h, mib, score, scrolling, svg, when } from './dom.ts';
import { showReport } from './report.ts';
import { session, signedOutBy } from './session.ts';

/** RegradeAccepted in openapi.yaml. */
type RegradeAnswer = { regrading: number };
type TokenCreatedAnswer = { name: string; role: string; token: string };

const ASSIGNMENT_KEY = 'memgrade.instructor.assignment';
const REFRESH_MS = 2000;
const REFRESH_LIMIT_MS = 5 * 60_000;

let caller: Caller;
let assignments: AssignmentView[] = [];
let current: AssignmentView | undefined;
let book: Gradebook | undefined;
let refreshing: ReturnType<typeof setTimeout> | undefined;

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function failed(where: string, error: unknown): void {
  if (!signedOutBy(error)) byId(where).textContent = explain(error);
}

function gradebookTable(gradebook: Gradebook, assignment: AssignmentView): HTMLElement {
  if (gradebook.rows.length === 0) return h('p', {}, `No student has submitted ${assignment.title} yet.`);
  const rows = gradebook.rows.map((r) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, r.student),
      h('td', { class: 'num' }, String(r.submissions)),
      h('td', { class: 'num' }, score(r.best_score, gradebook.max_score)),
      h('td', {}, r.latest.verdict === null ? badge(null, r.latest.status) : badge(r.latest.verdict)),
      h('td', { class: 'num' }, r.latest.peak_bytes === null ? '-' : mib(r.latest.peak_bytes)),
      h('td', {}, when(r.latest.submitted_at)),
      h(
        'td',
        {},
        r.latest.status === 'done'
          ? h('a', { href: `#report/${r.latest.id}` }, 'Report', h('span', { class: 'visually-hidden' }, ` of ${r.student}`))
          : r.latest.status,
      ),
    ),
  );
  const table = h(
    'table',
    { id: 'gradebook-table' },
    h(
      'caption',
      {},
      `${assignment.title}: ${plural(gradebook.rows.length, 'student')}; the limit is ${mib(assignment.limit_bytes)}, the best score ${gradebook.max_score}`,
    ),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Student', 'Submissions', 'Best score', 'Latest verdict', 'Peak', 'When', 'Report'].map((c, i) =>
          h('th', { scope: 'col', class: i === 1 || i === 2 || i === 4 ? 'num' : null }, c),
        ),
      ),
    ),
    h('tbody', {}, ...rows),
  );
  return scrolling('Gradebook table', table);
}

/** The latest peaks in bins whose edges fall on the limit, the limit drawn across. */
function histogram(gradebook: Gradebook, limit: number): HTMLElement {
  const peaks = gradebook.rows.map((r) => r.latest.peak_bytes).filter((p): p is number => p !== null);
  const none = gradebook.rows.length - peaks.length;
  if (peaks.length === 0) return h('p', {}, 'No peak yet: no latest submission has been measured.');
  const over = peaks.filter((p) => p > limit).length;
  const words =
    `${plural(peaks.length, 'student')}: ${peaks.length - over} within the ${mib(limit)} limit, ${over} over it; ` +
    `peaks from ${mib(Math.min(...peaks))} to ${mib(Math.max(...peaks))}` +
    (none > 0 ? `; ${none} without a peak (not graded yet, or the code did not run to the end)` : '') +
    '.';
  let width = limit / 8;
  let bins = Math.max(10, Math.floor(Math.max(...peaks) / width) + 1);
  if (bins > 32) {
    width = (Math.max(...peaks) * 1.0001) / 24;
    bins = 24;
  }
  const counts = new Array<number>(bins).fill(0);
  for (const p of peaks) counts[Math.min(bins - 1, Math.floor(p / width))]++;
  const W = 640;
  const H = 260;
  const m = { left: 40, right: 16, top: 24, bottom: 48 };
  const top = Math.max(...counts);
  const x = (bytes: number) => m.left + (bytes / (bins * width)) * (W - m.left - m.right);
  const y = (count: number) => H - m.bottom - (count / top) * (H - m.top - m.bottom);
  const parts: SVGElement[] = [
    svg('title', { id: 'histogram-svg-title' }, 'Peaks of the latest submissions, with the limit'),
    svg('desc', { id: 'histogram-svg-desc' }, words),
  ];
  counts.forEach((count, i) => {
    if (count === 0) return;
    const from = i * width;
    parts.push(
      svg(
        'rect',
        { class: from >= limit - 1 ? 'bar over' : 'bar', x: x(from) + 1, y: y(count), width: Math.max(1, x(width) - x(0) - 2), height: y(0) - y(count) },
        svg('title', {}, `${plural(count, 'student')}: ${mib(from)} to ${mib(from + width)}`),
      ),
    );
  });
  parts.push(svg('line', { class: 'axis', x1: m.left, x2: W - m.right, y1: y(0), y2: y(0) }));
  parts.push(svg('line', { class: 'axis', x1: m.left, x2: m.left, y1: m.top, y2: y(0) }));
  parts.push(svg('text', { x: m.left - 6, y: y(top) + 4, 'text-anchor': 'end' }, String(top)));
  parts.push(svg('text', { x: m.left - 6, y: y(0) + 4, 'text-anchor': 'end' }, '0'));
  parts.push(svg('text', { x: x(0), y: y(0) + 18, 'text-anchor': 'start' }, mib(0)));
  parts.push(svg('text', { x: x(bins * width), y: y(0) + 18, 'text-anchor': 'end' }, mib(bins * width)));
  parts.push(svg('text', { x: (W + m.left) / 2, y: H - 8, 'text-anchor': 'middle' }, 'peak of the latest submission; bars count students'));
  parts.push(svg('line', { class: 'limit', x1: x(limit), x2: x(limit), y1: m.top - 8, y2: y(0) }));
  parts.push(svg('text', { class: 'limit-label', x: x(limit) + 4, y: m.top - 10 }, `limit ${mib(limit)}`));
  const chart = svg(
    'svg',
    { class: 'histogram', id: 'histogram-svg', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'histogram-svg-title histogram-svg-desc' },
    ...parts,
  );
  return h('div', {}, chart, h('p', { class: 'help' }, words));
}

async function loadGradebook(): Promise<void> {
  if (!current) return;
  const assignment = current;
  clearTimeout(refreshing);
  byId('gradebook-error').textContent = '';
  try {
    book = await getJson<Gradebook>(`/v1/assignments/${encodeURIComponent(assignment.id)}/gradebook`);
    if (assignment !== current) return;
    fill(byId('gradebook'), gradebookTable(book, assignment));
    fill(byId('histogram'), histogram(book, assignment.limit_bytes));
  } catch (error) {
    failed('gradebook-error', error);
  }
}

/** Reloads the gradebook every 2 s while a row is being graded (after a regrade), for up to 5 minutes. */
function refreshWhileGrading(until: number): void {
  refreshing = setTimeout(() => {
    void loadGradebook().then(() => {
      const busy = book?.rows.some((r) => r.latest.status !== 'done') ?? false;
      if (busy && Date.now() < until) refreshWhileGrading(until);
      else if (!busy) byId('gradebook-status').textContent = 'The regrade is done: the table shows the new results.';
    });
  }, REFRESH_MS);
}

async function regrade(button: HTMLButtonElement): Promise<void> {
  if (!current || !book) return;
  const students = book.rows.length;
  if (students === 0) {
    byId('gradebook-status').textContent = 'There is nothing to regrade: no student has submitted yet.';
    return;
  }
  if (!confirm(`Grade the latest submission of each of the ${students} students of ${current.title} again?`)) return;
  button.disabled = true;
  try {
    // It takes no body, and no content type.
    const response = await request(`/v1/assignments/${encodeURIComponent(current.id)}/regrade`, { method: 'POST', headers: { accept: 'application/json' } });
    const answer = (await response.json()) as RegradeAnswer;
    byId('gradebook-status').textContent = `Regrading ${answer.regrading} submissions: the table updates as they are graded.`;
    await loadGradebook();
    refreshWhileGrading(Date.now() + REFRESH_LIMIT_MS);
  } catch (error) {
    failed('gradebook-error', error);
  } finally {
    button.disabled = false;
  }
}

async function downloadCsv(): Promise<void> {
  if (!current) return;
  try {
    const response = await request(`/v1/assignments/${encodeURIComponent(current.id)}/gradebook`, { headers: { accept: 'text/csv' } });
    const url = URL.createObjectURL(await response.blob());
    const link = h('a', { href: url, download: `${current.id}-gradebook.csv`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    byId('gradebook-status').textContent = `Downloaded ${current.id}-gradebook.csv.`;
  } catch (error) {
    failed('gradebook-error', error);
  }
}

/** #report/ID: the report of a student's latest submission, below the gradebook. */
async function fromHash(): Promise<void> {
  const match = /^#report\/([A-Za-z0-9._-]+)$/.exec(location.hash);
  const section = byId('report-section');
  if (!match) {
    section.hidden = true;
    return;
  }
  const id = match[1];
  const student = book?.rows.find((r) => r.latest.id === id)?.student;
  section.hidden = false;
  fill(byId('report-title'), student === undefined ? 'Report' : `Report of ${student}`);
  fill(byId('report'), h('p', {}, 'Loading the report...'));
  section.focus();
  try {
    await showReport(byId('report'), id, 3);
  } catch (error) {
    if (!signedOutBy(error)) fill(byId('report'), h('p', { class: 'error' }, explain(error)));
  }
}

function tokensTable(tokens: TokenView[]): HTMLElement {
  if (tokens.length === 0) return h('p', {}, 'No token yet (tokens of MEMGRADE_TOKENS are not listed).');
  const table = h(
    'table',
    { id: 'tokens-table' },
    h('caption', {}, `${plural(tokens.length, 'token')} (tokens of MEMGRADE_TOKENS are not listed)`),
    h('thead', {}, h('tr', {}, ...['Name', 'Role', 'Created', 'Last used', 'Revoke'].map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      ...tokens.map((t) => {
        const revoke = h('button', { type: 'button', 'aria-label': `Revoke ${t.name}` }, 'Revoke');
        revoke.addEventListener('click', () => void revokeToken(t.name, revoke));
        return h(
          'tr',
          {},
          h('th', { scope: 'row' }, t.name),
          h('td', {}, t.role),
          h('td', {}, when(t.created_at)),
          h('td', {}, t.last_used_at === null ? 'never' : when(t.last_used_at)),
          h('td', {}, revoke),
        );
      }),
    ),
  );
  return scrolling('Token list', table);
}

async function loadTokens(): Promise<void> {
  try {
    fill(byId('tokens'), tokensTable((await getJson<{ items: TokenView[] }>('/v1/tokens')).items));
  } catch (error) {
    failed('token-error', error);
  }
}

async function addToken(form: HTMLFormElement): Promise<void> {
  const name = byId<HTMLInputElement>('token-name').value.trim();
  const role = byId<HTMLSelectElement>('token-role').value;
  byId('token-error').textContent = '';
  fill(byId('new-token'));
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/.test(name)) {
    byId('token-error').textContent = 'Give the token a name: letters, digits, ".", "_", "@" or "-", starting with a letter or digit, at most 100.';
    byId('token-name').focus();
    return;
  }
  const button = form.querySelector('button') as HTMLButtonElement;
  button.disabled = true;
  try {
    const made = await sendJson<TokenCreatedAnswer>('POST', '/v1/tokens', { name, role });
    const output = h('input', { type: 'text', id: 'new-token-value', readonly: true, value: made.token, 'aria-describedby': 'new-token-help' });
    const copy = h('button', { type: 'button' }, 'Copy');
    copy.addEventListener('click', () => {
      output.select();
      void navigator.clipboard?.writeText(made.token).then(
        () => (copy.textContent = 'Copied'),
        () => (copy.textContent = 'Selected: press Ctrl+C'),
      );
    });
    const closing = caller.open && made.role === 'instructor';
    if (closing) keepToken(made.token);
    fill(
      byId('new-token'),
      h('label', { for: 'new-token-value' }, `New ${made.role} token for ${made.name}`),
      h('div', { class: 'token-output' }, output, copy),
      h(
        'p',
        { class: 'help', id: 'new-token-help' },
        'Shown this once: the service keeps only its digest. Copy it now and give it to its owner.' +
          (closing ? ' The service needed no token until now; from now on every call needs one, and this tab uses this one.' : ''),
      ),
    );
    byId<HTMLInputElement>('token-name').value = '';
    output.focus();
    output.select();
    await loadTokens();
  } catch (error) {
    failed('token-error', error);
  } finally {
    button.disabled = false;
  }
}

async function revokeToken(name: string, button: HTMLButtonElement): Promise<void> {
  const own = name === caller.name;
  if (!confirm(`Revoke the token "${name}"? It stops working at once.${own ? ' It is the token this tab is signed in with.' : ''}`)) return;
  button.disabled = true;
  try {
    await request(`/v1/tokens/${encodeURIComponent(name)}`, { method: 'DELETE' });
    fill(byId('new-token'), h('p', { class: 'notice' }, `Revoked "${name}".`));
    await loadTokens();
  } catch (error) {
    failed('token-error', error);
    button.disabled = false;
  }
}

function choose(id: string): Promise<void> {
  current = assignments.find((a) => a.id === id) ?? assignments[0];
  if (!current) return Promise.resolve();
  sessionStorage.setItem(ASSIGNMENT_KEY, current.id);
  byId<HTMLSelectElement>('assignment').value = current.id;
  byId('gradebook-status').textContent = '';
  return loadGradebook();
}

void session(async (who) => {
  caller = who;
  if (who.role !== 'instructor') {
    // Nothing of the class is asked for: the page only says why.
    byId('refused').hidden = false;
    fill(
      byId('refused-text'),
      `You are signed in with a student token${who.name === null ? '' : ` (${who.name})`}. ` +
        "The class's gradebook, its reports and the tokens are for instructor tokens only: this token sees nothing of them.",
    );
    return;
  }
  byId('class').hidden = false;
  try {
    assignments = (await getJson<{ items: AssignmentView[] }>('/v1/assignments')).items;
  } catch (error) {
    return failed('gradebook-error', error);
  }
  const select = byId<HTMLSelectElement>('assignment');
  select.replaceChildren(...assignments.map((a) => h('option', { value: a.id }, a.title)));
  select.addEventListener('change', () => void choose(select.value));
  const regradeButton = byId<HTMLButtonElement>('regrade');
  regradeButton.addEventListener('click', () => void regrade(regradeButton));
  byId('csv').addEventListener('click', () => void downloadCsv());
  byId('refresh').addEventListener('click', () => void loadGradebook());
  const form = byId<HTMLFormElement>('add-token');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void addToken(form);
  });
  await choose(sessionStorage.getItem(ASSIGNMENT_KEY) ?? assignments[0]?.id ?? '');
  await loadTokens();
  window.addEventListener('hashchange', () => void fromHash());
  await fromHash();
});
