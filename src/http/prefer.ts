// The Prefer request header (RFC 7240), apart from the route that reads it: plain text in, a
// number out, testable without a server.

/** The wait=N preference of a Prefer header (RFC 7240), if any. */
export function preferredWait(prefer: string | undefined): number | null {
  // A number too long to be one is no preference, not its first digits.
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d{1,6})"?(?=$|[,;\s])/i.exec(prefer ?? '');
  return match ? Number(match[1]) : null;
}
