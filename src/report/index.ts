// The reporters, in one registry that the CLI and the HTTP layer both use.
export { csv, csvReport, FORMATS, isFormat, REPORTERS, type CsvRow } from './registry.ts';
