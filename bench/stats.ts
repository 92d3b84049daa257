// Small statistics and table formatting shared by the benchmarks.
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
export const ms = (x: number | null) => (x === null ? '-' : x.toFixed(0));
export const ratio = (x: number | null, base: number | null) =>
  x === null || base === null || base === 0 ? '-' : `${(x / base).toFixed(2)}x`;
export const range = (xs: number[]) => (xs.length < 2 ? '' : `${ms(Math.min(...xs))}-${ms(Math.max(...xs))}`);
export const bytes = (n: number | null) => (n === null ? '-' : n.toLocaleString('en-US'));

export function table(head: string[], rows: string[][], align: ('l' | 'r')[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (align[i] === 'l' ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
