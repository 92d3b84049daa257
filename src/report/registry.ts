// Every format a result can be shown in, in one place: the command line's --format and the
// service's ?format= (or Accept) both choose from here, as memray's reporters sit behind one
// registry its CLI and its API share.
import type { TSchema } from '@sinclair/typebox';
import type { Assignment, GradeResult } from '../grading/index.ts';
import { htmlReport } from './html-report.ts';
import { GradescopeResults, PrairieLearnResults } from './platform-schemas.ts';
import { gradescopeReport, junitReport, prairielearnReport, type ReportContext } from './platforms.ts';
import { textReport } from './text-report.ts';

export interface Reporter {
  /**
   * The media type it is served as: each format its own, so that a client (and openapi.yaml)
   * tells them apart; the platforms' JSON under vendor types (RFC 6838's vnd. tree, +json).
   */
  contentType: string;
  /** Other media types an Accept header may name it by, as clients of that format send them. */
  alsoAccepted?: string[];
  /** What it is, in a few words: `memgrade grade --help`, openapi.yaml and the docs name it so. */
  description: string;
  /** The shape of a JSON format, for openapi.yaml; text formats have none. */
  schema?: TSchema;
  render(result: GradeResult, assignment: Assignment, context?: ReportContext): string;
}

const REGISTRY = {
  json: {
    contentType: 'application/json; charset=utf-8',
    description: 'the result JSON',
    render: (result) => `${JSON.stringify(result, null, 2)}\n`,
  },
  text: { contentType: 'text/plain; charset=utf-8', description: 'the text report', render: textReport },
  html: { contentType: 'text/html; charset=utf-8', description: 'the report page, self-contained', render: htmlReport },
  gradescope: {
    contentType: 'application/vnd.memgrade.gradescope+json; charset=utf-8',
    description: "Gradescope's results.json",
    schema: GradescopeResults,
    render: gradescopeReport,
  },
  prairielearn: {
    contentType: 'application/vnd.memgrade.prairielearn+json; charset=utf-8',
    description: "PrairieLearn's external grader results.json",
    schema: PrairieLearnResults,
    render: prairielearnReport,
  },
  junit: {
    contentType: 'application/xml; charset=utf-8',
    alsoAccepted: ['text/xml'],
    description: "JUnit XML, valid against Apache Ant's and Jenkins xUnit's schemas",
    render: junitReport,
  },
} satisfies Record<string, Reporter>;

type Format = keyof typeof REGISTRY;
export const REPORTERS: Record<Format, Reporter> = REGISTRY;

/** The media types a reporter is asked for by: the one it is served as (without its parameters) first. */
export const mediaTypes = (reporter: Reporter) => [reporter.contentType.split(';')[0].trim(), ...(reporter.alsoAccepted ?? [])];

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

const CSV_HEADER = ['student', 'status', 'reason', 'peak_bytes', 'score', 'max_score'];

export const csvReport = (rows: CsvRow[]) =>
  csv(
    CSV_HEADER,
    rows.map((r) => [r.student, r.status, r.reason, r.peak_bytes, r.score, r.max_score]),
  );
