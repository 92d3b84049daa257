// The reporters, in one registry that the CLI and the HTTP layer both use.
export { csv, csvReport, FORMATS, isFormat, mediaTypes, REPORTERS, type CsvRow, type Reporter } from './registry.ts';
export { gradescopeFailure, prairielearnFailure, type ReportContext } from './platforms.ts';
