// The plain-text report, modelled on pytest-memray's failure report: the verdict, then the
// allocations alive at the peak, largest first, then the per-step table.
import { sizes, type Assignment, type GradeResult, type Holder } from '../grading/index.ts';

const table = (rows: string[][]): string[] => {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd());
};

export function describeHolder(h: Holder): string {
  const at = h.line === null ? '' : ` (line ${h.line})`;
  switch (h.kind) {
    case 'temporary':
      return `${h.name}${at}`;
    case 'new':
      return `no variable yet: it is ${h.name}, in ${h.function}${h.line === null ? '' : ` at line ${h.line}`}`;
    case 'global':
    case 'module':
      return `the top-level ${h.name}`;
    case 'property':
      return `property ${h.name} in ${h.function}${at}`;
    default:
      return `${h.kind} ${h.name} in ${h.function}${at}`;
  }
}

export function textReport(result: GradeResult, assignment: Assignment): string {
  const out: string[] = [];
  // Sizes in the unit of the assignment's scale: KiB for one limited to less than 1 MiB.
  const size = sizes(result.limit_bytes);
  const mark = result.status === 'passed' ? 'PASSED' : result.status === 'failed' ? 'FAILED' : 'ERROR';
  out.push(`${mark} ${result.assignment}${result.reason ? ` (${result.reason})` : ''}`);
  out.push(result.message);
  if (result.error?.stack) out.push('', result.error.stack);
  if (result.peak_bytes !== null) {
    const unit = assignment.manifest.unit;
    const fit = Math.floor(result.limit_bytes / unit.bytes);
    const split = `${result.peak_external_bytes} in ArrayBuffers, ${result.peak_heap_bytes} of JS heap`;
    out.push('', `Peak: ${size(result.peak_bytes)} (${result.peak_bytes} bytes: ${split}); limit ${size(result.limit_bytes)}, room for ${fit} x ${unit.name}.`);
  }
  if (result.live_at_peak.length > 0) {
    out.push('', `Allocations alive at the peak${result.peak_step ? ` (in ${result.peak_step})` : ''}, largest first:`);
    for (const a of result.live_at_peak) {
      out.push(`  - ${size(a.bytes).padStart(10)}  #${a.id} from ${a.step}, allocated at ${a.site ?? '(small allocations)'}`);
      const more = a.holders_omitted > 0 ? `; and ${a.holders_omitted} more` : '';
      if (a.holders.length > 0) out.push(`      held by ${a.holders.map(describeHolder).join('; ')}${more}`);
      if (a.hint) out.push(`      hint: ${a.hint}`);
    }
    if (result.untracked_at_peak_bytes > 0) out.push(`  - ${size(result.untracked_at_peak_bytes).padStart(10)}  in allocations under 1 KiB`);
  }
  if (result.explanation && result.explanation.heap_holders.length > 0) {
    out.push('', 'JS heap kept alive at the peak, by who kept it, largest first:');
    for (const h of result.explanation.heap_holders) {
      const through = h.path === '' ? '' : `, through ${h.kind === 'temporary' ? h.path.trim() : h.name + h.path}`;
      out.push(`  - ${size(h.bytes).padStart(10)}  ${describeHolder(h)}${through}`);
      if (h.hint) out.push(`      hint: ${h.hint}`);
    }
  }
  if (result.explanation) {
    out.push('', result.explanation.summary);
    if (result.explanation.status === 'missing') out.push(`(Who held what is missing: ${result.explanation.reason}.)`);
  }
  if (result.steps.length > 0) {
    out.push('', 'Steps:');
    const rows = [['step', 'calls', 'allocated', 'peak inside', 'live after', 'time']];
    for (const s of result.steps) {
      rows.push([s.name, String(s.calls), size(s.allocated_bytes), size(s.peak_live_bytes), size(s.live_after_bytes), `${s.duration_ms} ms`]);
    }
    const names = result.steps.map((s) => s.name);
    out.push(...table(rows).map((line, i) => `  ${line}${i > 0 && names[i - 1] === result.peak_step ? '  <- peak' : ''}`));
  }
  const { versions } = result;
  const tools = `memgrade ${versions.memgrade}, Node ${versions.node}, V8 ${versions.v8}, isolated-vm ${versions.isolated_vm}`;
  out.push('', `Graded in ${result.duration_ms} ms with ${tools}.`);
  return `${out.join('\n')}\n`;
}
