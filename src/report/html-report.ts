// The report page: one self-contained HTML file (inline CSS and SVG, no script, nothing
// fetched at view time) that a student can open from disk or from the API.
import { sizes, type Assignment, type GradeResult } from '../grading/index.ts';
import { REPORT_STYLE } from './report-style.ts';
import { describeHolder } from './text-report.ts';

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];
const OTHER_COLOUR = '#bab0ac';
const WIDTH = 960;
const MAX_DRAWN_SAMPLES = 300;
/** Allocations drawn one by one in a sample's bar; the rest are summed by step. */
const DRAWN_PER_SAMPLE = 12;

const esc = (value: unknown): string =>
  String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Escapes, then shows `name` spans as code. */
const withCode = (text: string): string => esc(text).replace(/`([^`]+)`/g, '<code>$1</code>');

/**
 * A small square of a step's colour, before its name: drawn in SVG, whose fill is an attribute, so
 * that the page's markup has no style attribute (the service's pages show it under a
 * Content-Security-Policy without 'unsafe-inline').
 */
const swatch = (colour: string | undefined): string =>
  `<svg class="swatch" aria-hidden="true" width="11" height="11"><rect width="11" height="11" rx="2" fill="${colour}"/></svg>`;

/** A chart as wide as the page; `label` is what a screen reader announces. */
const svg = (id: string, label: string, height: number, content: string): string =>
  `<svg id="${id}" role="img" aria-label="${label}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}">${content}</svg>`;

/** A table under a header row of `columns` (markup, not escaped). */
const table = (id: string, columns: string[], rows: string[]): string =>
  `<table id="${id}"><thead><tr>${columns.map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;

/** The verdict in words, about the assignment's own entry point. */
function headline(result: GradeResult, entry: string): string {
  const size = sizes(result.limit_bytes);
  const peak = result.peak_bytes === null ? null : size(result.peak_bytes);
  const limit = size(result.limit_bytes);
  switch (result.reason) {
    case null:
      return `Passed: ${entry} peaked at ${peak}, within the ${limit} limit, and its result is correct.`;
    case 'memory_limit':
      return `Not yet: ${entry} peaked at ${peak}, over the ${limit} limit. Its result is correct.`;
    case 'wrong_result':
      return `Not yet: ${entry} ran, but its result is not the expected one.`;
    default:
      return `Could not grade this submission (${result.reason.replace(/_/g, ' ')}).`;
  }
}

function stepColours(result: GradeResult): Map<string, string> {
  return new Map(result.steps.map((s, i) => [s.name, PALETTE[i % PALETTE.length]]));
}

/** Live memory at each exact sample, stacked by allocation and coloured by the allocating step. */
function timelineSvg(result: GradeResult, colours: Map<string, string>): string {
  const size = sizes(result.limit_bytes);
  const samples = result.timeline;
  if (samples.length === 0) return '<p>No samples were taken.</p>';
  const stride = Math.ceil(samples.length / MAX_DRAWN_SAMPLES);
  const drawn = samples.filter((_, i) => i % stride === 0 || samples[i].live_bytes === result.peak_bytes);
  const height = 320;
  const m = { left: 70, right: 20, top: 20, bottom: 40 };
  const top = Math.max(result.limit_bytes, ...drawn.map((s) => s.live_bytes)) * 1.1;
  const x = (i: number) => m.left + (i / drawn.length) * (WIDTH - m.left - m.right);
  const y = (bytes: number) => m.top + (1 - bytes / top) * (height - m.top - m.bottom);
  const barWidth = Math.max(1, (WIDTH - m.left - m.right) / drawn.length);
  const parts: string[] = [];
  const rect = (cls: string, i: number, from: number, bytes: number, fill: string, title: string) =>
    `<rect class="${cls}" x="${x(i).toFixed(1)}" y="${y(from + bytes).toFixed(1)}" width="${barWidth.toFixed(1)}" ` +
    `height="${(y(from) - y(from + bytes)).toFixed(1)}" fill="${fill}"><title>${esc(title)}</title></rect>`;
  drawn.forEach((sample, i) => {
    // The largest allocations alive at the sample each get a rectangle; the others are summed
    // by step, so that a page stays small whatever the submission allocated.
    const alive = result.allocations
      .filter((a) => a.born_seq <= sample.seq && (a.died_seq === null || a.died_seq > sample.seq))
      .sort((a, b) => b.bytes - a.bytes);
    let stacked = 0;
    for (const a of alive.slice(0, DRAWN_PER_SAMPLE)) {
      parts.push(rect('alloc', i, stacked, a.bytes, colours.get(a.step) ?? OTHER_COLOUR, `#${a.id} from ${a.step}: ${size(a.bytes)}`));
      stacked += a.bytes;
    }
    const byStep = new Map<string, number>();
    for (const a of alive.slice(DRAWN_PER_SAMPLE)) byStep.set(a.step, (byStep.get(a.step) ?? 0) + a.bytes);
    for (const [step, bytes] of byStep) {
      parts.push(rect('alloc', i, stacked, bytes, colours.get(step) ?? OTHER_COLOUR, `smaller allocations from ${step}: ${size(bytes)}`));
      stacked += bytes;
    }
    const rest = Math.max(0, sample.live_bytes - stacked);
    if (rest > 0) parts.push(rect('other', i, stacked, rest, OTHER_COLOUR, `JS heap and small allocations: ${size(rest)}`));
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const bytes = top * f;
    return (
      `<line x1="${m.left}" x2="${WIDTH - m.right}" y1="${y(bytes)}" y2="${y(bytes)}" class="grid"/>` +
      `<text x="${m.left - 6}" y="${y(bytes) + 4}" text-anchor="end">${size(bytes)}</text>`
    );
  });
  const limitY = y(result.limit_bytes);
  const limit =
    `<line class="limit" x1="${m.left}" x2="${WIDTH - m.right}" y1="${limitY}" y2="${limitY}"/>` +
    `<text class="limit-label" x="${WIDTH - m.right}" y="${limitY - 6}" text-anchor="end">limit ${size(result.limit_bytes)}</text>`;
  const peakIndex = drawn.findIndex((s) => s.live_bytes === result.peak_bytes);
  let peak = '';
  if (peakIndex >= 0 && result.peak_bytes !== null) {
    const cx = x(peakIndex) + barWidth / 2;
    const cy = y(result.peak_bytes);
    const where = result.peak_step ? ` in ${esc(result.peak_step)}` : '';
    peak =
      `<g class="peak"><circle cx="${cx}" cy="${cy}" r="5"/>` +
      `<text x="${cx}" y="${cy - 10}" text-anchor="middle">peak ${size(result.peak_bytes)}${where}</text></g>`;
  }
  const axis = `<text x="${(WIDTH + m.left) / 2}" y="${height - 8}" text-anchor="middle">exact samples, in order (each one right after a full GC)</text>`;
  return svg('timeline', 'live memory at each sample', height, `${ticks.join('')}${parts.join('')}${limit}${peak}${axis}`);
}

/** The allocations alive at the peak as an icicle: everything, then by step, then by site. */
function icicleSvg(result: GradeResult, colours: Map<string, string>): string {
  const size = sizes(result.limit_bytes);
  const live = result.live_at_peak;
  if (live.length === 0) return '<p>No allocation was alive at the peak.</p>';
  const total = live.reduce((sum, a) => sum + a.bytes, 0) + result.untracked_at_peak_bytes;
  const rowHeight = 34;
  const scale = (bytes: number) => (bytes / total) * WIDTH;
  const cell = (cls: string, x0: number, row: number, bytes: number, fill: string, label: string) => {
    const w = scale(bytes);
    const text = w > 80 ? `<text x="${(x0 + 6).toFixed(1)}" y="${row * rowHeight + 21}">${esc(label)}</text>` : '';
    const box = `x="${x0.toFixed(1)}" y="${row * rowHeight}" width="${Math.max(0, w - 1).toFixed(1)}" height="${rowHeight - 2}"`;
    return `<g class="${cls}"><rect ${box} fill="${fill}"><title>${esc(label)}</title></rect>${text}</g>`;
  };
  const parts = [cell('total', 0, 0, total, '#555', `alive at the peak: ${size(total)}`)];
  const byStep = new Map<string, typeof live>();
  for (const a of live) byStep.set(a.step, [...(byStep.get(a.step) ?? []), a]);
  let stepX = 0;
  for (const [step, allocations] of byStep) {
    const bytes = allocations.reduce((sum, a) => sum + a.bytes, 0);
    parts.push(cell('step', stepX, 1, bytes, colours.get(step) ?? OTHER_COLOUR, `${step}: ${size(bytes)}`));
    let siteX = stepX;
    const bySite = new Map<string, number>();
    for (const a of allocations) bySite.set(a.site ?? '(small allocations)', (bySite.get(a.site ?? '(small allocations)') ?? 0) + a.bytes);
    for (const [site, siteBytes] of bySite) {
      parts.push(cell('site', siteX, 2, siteBytes, colours.get(step) ?? OTHER_COLOUR, `${site}: ${size(siteBytes)}`));
      siteX += scale(siteBytes);
    }
    stepX += scale(bytes);
  }
  if (result.untracked_at_peak_bytes > 0) {
    parts.push(cell('step', stepX, 1, result.untracked_at_peak_bytes, OTHER_COLOUR, `small allocations: ${size(result.untracked_at_peak_bytes)}`));
  }
  return svg('icicle', 'allocations alive at the peak by step and site', rowHeight * 3, parts.join(''));
}

function holdersTable(result: GradeResult, colours: Map<string, string>): string {
  const size = sizes(result.limit_bytes);
  if (result.live_at_peak.length === 0) return '';
  const heldBy = (a: GradeResult['live_at_peak'][number]) => {
    if (a.holders.length === 0) return '<em>not known</em>';
    const more = a.holders_omitted > 0 ? `<br>and ${a.holders_omitted} more` : '';
    return a.holders.map((h) => esc(describeHolder(h))).join('<br>') + more;
  };
  const rows = result.live_at_peak.map(
    (a) =>
      `<tr><td>${swatch(colours.get(a.step) ?? OTHER_COLOUR)}#${a.id}</td>` +
      `<td class="num">${size(a.bytes)}</td><td>${esc(a.step)}</td><td><code>${esc(a.site ?? '(small allocations)')}</code></td>` +
      `<td>${heldBy(a)}</td><td>${a.hint ? withCode(a.hint) : ''}</td></tr>`,
  );
  const explanation = result.explanation;
  const summary = explanation ? `<p class="summary">${esc(explanation.summary)}</p>` : '';
  const missing = explanation?.status === 'missing' ? `<p class="missing">Who held what is missing: ${esc(explanation.reason)}.</p>` : '';
  const onHeap = (explanation?.heap_holders ?? []).map(
    (h) =>
      `<tr><td>${esc(describeHolder(h))}</td><td class="num">${size(h.bytes)}</td>` +
      `<td><code>${esc(h.kind === 'temporary' ? h.path.trim() : h.name + h.path)}</code></td><td>${h.hint ? withCode(h.hint) : ''}</td></tr>`,
  );
  return (
    summary +
    missing +
    table('holders', ['allocation', 'size', 'step', 'allocated at', 'held by', 'hint'], rows) +
    (onHeap.length > 0 ? table('heap-holders', ['JS heap kept by', 'size', 'through', 'hint'], onHeap) : '')
  );
}

function stepsTable(result: GradeResult, colours: Map<string, string>): string {
  const size = sizes(result.limit_bytes);
  if (result.steps.length === 0) return '';
  const num = (value: string | number) => `<td class="num">${value}</td>`;
  const rows = result.steps.map((s) => {
    const atPeak = s.name === result.peak_step;
    const name = `<td>${swatch(colours.get(s.name))}${esc(s.name)}${atPeak ? ' <strong>(peak)</strong>' : ''}</td>`;
    const figures = [s.calls, size(s.allocated_bytes), size(s.peak_live_bytes), size(s.live_after_bytes), `${s.duration_ms} ms`];
    return `<tr${atPeak ? ' class="at-peak"' : ''}>${name}${figures.map(num).join('')}</tr>`;
  });
  return table('steps', ['step', 'calls', 'allocated', 'peak inside', 'live after', 'time'], rows);
}

export function htmlReport(result: GradeResult, assignment: Assignment): string {
  const colours = stepColours(result);
  const legend = result.steps
    .map((s) => `<span>${swatch(colours.get(s.name))}${esc(s.name)}</span>`)
    .join(' ');
  const { versions } = result;
  const body = [
    `<header class="${result.status}"><h1 id="verdict">${esc(headline(result, assignment.manifest.entry_point))}</h1><p>${esc(result.message)}</p></header>`,
    result.error?.stack ? `<pre>${esc(result.error.stack)}</pre>` : '',
    result.timeline.length > 0
      ? '<h2>Live memory at each sample</h2>' +
        `<p class="legend">${legend} <span>${swatch(OTHER_COLOUR)}JS heap and small allocations</span></p>` +
        timelineSvg(result, colours)
      : '',
    result.live_at_peak.length > 0
      ? `<h2>What was alive at the peak</h2>${icicleSvg(result, colours)}<h2>Who held it</h2>${holdersTable(result, colours)}`
      : '',
    result.steps.length > 0 ? `<h2>Steps</h2>${stepsTable(result, colours)}` : '',
    `<footer>${esc(assignment.manifest.title)} (${esc(result.assignment)}); graded in ${result.duration_ms} ms by memgrade ` +
      `${esc(versions.memgrade)}, Node ${esc(versions.node)}, V8 ${esc(versions.v8)}, isolated-vm ${esc(versions.isolated_vm)}.</footer>`,
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>memgrade: ${esc(result.assignment)}, ${esc(result.status)}</title><style>${REPORT_STYLE}</style></head>
<body>${body.join('\n')}</body></html>
`;
}
