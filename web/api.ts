// The pages' client of the service's own API (/v1, docs/service.md). The token is kept in this
// tab's sessionStorage and sent as a bearer header by fetch(); it is never put in a URL and never
// in a cookie. Without cookies a page of another site cannot act with it (a browser attaches no
// Authorization header by itself, and a cross-origin fetch that sets one needs a CORS preflight
// the service does not grant), so there is nothing to forge: no CSRF.
import type { ApiError } from '../src/http/schemas.ts';
import type { Caller } from '../src/http/token-schemas.ts';

const TOKEN_KEY = 'memgrade.token';

export const storedToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);
export const keepToken = (token: string): void => sessionStorage.setItem(TOKEN_KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(TOKEN_KEY);

/** A refusal of the API: its status, its code and message (the Error shape), and Retry-After. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryAfterS: number | null;

  constructor(status: number, body: Partial<ApiError>, retryAfter: string | null) {
    super(body.message ?? `the service answered ${status}`);
    this.status = status;
    this.code = body.error ?? 'unknown';
    const seconds = Number(retryAfter);
    this.retryAfterS = retryAfter !== null && Number.isFinite(seconds) ? seconds : null;
  }
}

/** The service could not be reached at all. */
export class Unreachable extends Error {}

/** A fetch of the API with the token, if any; refusals are thrown as ApiFailure. */
export async function request(path: string, init: RequestInit = {}, token: string | null = storedToken()): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token !== null) headers.set('authorization', `Bearer ${token}`);
  let response: Response;
  try {
    // No credentials of the browser's own (cookies, HTTP authentication) go with it.
    response = await fetch(path, { ...init, headers, credentials: 'omit', cache: 'no-store' });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new Unreachable('could not reach the service');
  }
  if (!response.ok) {
    let body: Partial<ApiError> = {};
    try {
      body = (await response.json()) as Partial<ApiError>;
    } catch {
      // Not the API's JSON (a proxy's page): the status says enough.
    }
    throw new ApiFailure(response.status, body, response.headers.get('retry-after'));
  }
  return response;
}

export async function getJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await request(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
  return (await response.json()) as T;
}

export async function sendJson<T>(method: string, path: string, body: unknown): Promise<T> {
  const response = await request(path, { method, headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
  return (await response.json()) as T;
}

/** Who a token is, or null when the service does not know it; with no token, whether the service is open. */
export async function whoIs(token: string | null): Promise<Caller | null> {
  try {
    const response = await request('/v1/me', { headers: { accept: 'application/json' } }, token);
    return (await response.json()) as Caller;
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 401) return null;
    throw error;
  }
}

const seconds = (s: number) => (s < 90 ? `${s} s` : `${Math.round(s / 60)} min`);
const sentence = (text: string) => {
  const trimmed = text.trim().replace(/[.;:]$/, '');
  return `${trimmed.charAt(0).toUpperCase()}${trimmed.slice(1)}.`;
};

/** What went wrong, in words for a person: the service's message, and when to try again. */
export function explain(error: unknown): string {
  if (error instanceof Unreachable) return 'Could not reach the service. Check your connection, then try again.';
  if (!(error instanceof ApiFailure)) return `Something went wrong in this page: ${error instanceof Error ? error.message : String(error)}.`;
  const retry = error.retryAfterS === null ? '' : ` Try again in ${seconds(error.retryAfterS)}.`;
  switch (error.status) {
    case 401:
      return 'This token is not valid: the service does not know it. Check that you copied all of it, or ask your instructor for a new one.';
    case 413:
      return `Too large: ${sentence(error.message)}`;
    case 429:
    case 503:
      return `${sentence(error.message.replace(/; retry( later| shortly)?$/, ''))}${retry || ' Try again later.'}`;
    default:
      return sentence(error.message);
  }
}
