// Every format a result can be shown in, in one place: the command line's --format and the
// service's ?format= (or Accept) both choose from here, as memray's reporters sit behind one
// registry its CLI and its API share.
import type { Assignment, GradeResult } from '../grading/index.ts';
import { htmlReport } from './html-report.ts';
import { gradescopeReport, junitReport, prairielearnReport } from './platforms.ts';
import { textReport } from './text-report.ts';

export interface Reporter {
  /** The media type it is served as. */
  contentType: string;
  render(result: GradeResult, assignment: Assignment): string;
}

export const REPORTERS = {
  json: { contentType: 'application/json; charset=utf-8', render: (result) => `${JSON.stringify(result, null, 2)}\n` },
  text: { contentType: 'text/plain; charset=utf-8', render: textReport },
  html: { contentType: 'text/html; charset=utf-8', render: htmlReport },
  gradescope: { contentType: 'application/json; charset=utf-8', render: gradescopeReport },
  prairielearn: { contentType: 'application/json; charset=utf-8', render: prairielearnReport },
  junit: { contentType: 'application/xml; charset=utf-8', render: junitReport },
} satisfies Record<string, Reporter>;

export type Format = keyof typeof REPORTERS;
export const FORMATS = Object.keys(REPORTERS) as Format[];

export const isFormat = (name: string): name is Format => Object.hasOwn(REPORTERS, name);

/** One row of a class's grades, as `memgrade grade --format csv` and the gradebook print it. */
export interface CsvRow {
  student: string;
  status: string;
  reason: string | null;
  peak_bytes: number | null;
  score: number | null;
  max_score: number | null;
}

const cell = (value: string | number | null) => {
  const text = value === null ? '' : String(value);
  // A formula-looking cell is quoted with a leading apostrophe: spreadsheets must not run it.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
};

export function csv(header: string[], rows: (string | number | null)[][]): string {
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

export const CSV_HEADER = ['student', 'status', 'reason', 'peak_bytes', 'score', 'max_score'];

export const csvReport = (rows: CsvRow[]) =>
  csv(
    CSV_HEADER,
    rows.map((r) => [r.student, r.status, r.reason, r.peak_bytes, r.score, r.max_score]),
  );
