// The documented error answers of a route, all of one shape, described by the codes of the one
// table (src/errors.ts) that answer with each status.
import { Type } from '@sinclair/typebox';
import { API_ERROR_CODES, API_ERRORS } from '../errors.ts';
import { ApiError } from './schemas.ts';

const RETRY_AFTER = { 'Retry-After': { type: 'integer', description: 'seconds to wait before trying again' } };

export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => {
      const codes = API_ERROR_CODES.map((code) => [code, API_ERRORS[code]] as const).filter(([, e]) => e.status === status);
      if (codes.length === 0) throw new Error(`no error code answers ${status} (src/errors.ts)`);
      const description = codes.map(([code, e]) => `\`${code}\`: ${e.when}`).join('\n\n');
      // Declared, every answer of that status must carry it (the tests hold the service to that): a
      // route whose answers of a status never do, as tokens.ts's 409, documents that status itself.
      const retries = codes.some(([, e]) => 'retryAfter' in e);
      return [status, Type.Ref(ApiError, { description, ...(retries ? { headers: RETRY_AFTER } : {}) })];
    }),
  );
}
