// memgrade's error codes, in one place (as fastify's lib/errors.js and undici's core/errors.js keep
// theirs). API_ERRORS are the `error` values of the API's refusals: openapi.yaml lists them as the
// enum of Error.error, docs/service.md's table is generated from them, and the routes can only
// refuse with one of them (ApiProblem takes a code and looks its status up here). ERROR_CODES
// are the `code` of the errors a process raises before or beside HTTP (configuration, command
// line, assignments, storage, the pool): each class below carries one, so that a caller tells
// them apart by code, not by class or message.

/**
 * Each code's status, when it is answered (docs/service.md shows this table), and whether the
 * answer carries Retry-After (openapi.yaml then declares the header on that status).
 */
export const API_ERRORS = {
  invalid_request: {
    status: 400,
    when:
      'a field of the wrong type (`{"code": 1}` is not coerced to `"1"`), an unknown field (not silently dropped), ' +
      'a bad query parameter or cursor, a body sent to a route that takes none, a request that is not valid HTTP',
  },
  invalid_json: { status: 400, when: 'the body is not JSON, or is empty' },
  unauthorized: { status: 401, when: 'the call needs a token and has none, or one the service does not know (`WWW-Authenticate: Bearer`)' },
  forbidden: {
    status: 403,
    when:
      'a student token calling an instructor route, setting `callback_url`, or filing a submission under another name than its own (`body.student`); ' +
      'a browser calling a service open without a token from a page of another site (`Sec-Fetch-Site`)',
  },
  not_found: { status: 404, when: 'unknown route, assignment or submission, or another token\'s submission (its existence is not revealed)' },
  method_not_allowed: { status: 405, when: 'a method the path does not take (`PUT` on a submission, say); `Allow` names those it takes' },
  request_timeout: { status: 408, when: 'the request did not arrive within 10 s (headers within 5 s)' },
  conflict: { status: 409, when: 'a token of that name exists already (`POST /v1/tokens`)' },
  not_ready: {
    status: 409,
    when: 'the submission is not done yet (its report, a format of its result), or is being graded (delete)',
    retryAfter: true,
  },
  payload_too_large: { status: 413, when: 'the code is longer than the assignment\'s `max_code_bytes`, or the body is larger than the server takes' },
  uri_too_long: { status: 414, when: 'a path parameter longer than 100 characters' },
  unsupported_media_type: { status: 415, when: 'the body is not `application/json`' },
  too_many_requests: {
    status: 429,
    when:
      'this client (token, or address when there are no tokens) has too many submissions waiting, or has used up its request rate, ' +
      'or this address failed to authenticate too often',
    retryAfter: true,
  },
  quota_exceeded: {
    status: 429,
    when:
      'this client keeps as many bytes of code and results stored as `MEMGRADE_STORAGE_PER_CLIENT_MB` allows: ' +
      'it may submit again once it has deleted old submissions',
    retryAfter: true,
  },
  headers_too_large: { status: 431, when: 'the request line and headers larger than 16 KB together, however many headers carry them' },
  internal: { status: 500, when: 'the server failed to answer (logged with the request id)' },
  unavailable: { status: 503, when: 'the queue is full for everyone, or the service is shutting down', retryAfter: true },
} as const satisfies Record<string, { status: number; when: string; retryAfter?: true }>;

export type ApiErrorCode = keyof typeof API_ERRORS;
export const API_ERROR_CODES = Object.keys(API_ERRORS) as ApiErrorCode[];

export const statusOf = (code: ApiErrorCode): number => API_ERRORS[code].status;

/** The `code` of each error class, and what it means. */
export const ERROR_CODES = {
  MEMGRADE_CONFIG: 'a configuration variable is invalid, or the configuration is refused (the process does not start)',
  MEMGRADE_ASSIGNMENT: 'an assignment folder is invalid (its manifest, helpers or solutions)',
  MEMGRADE_USAGE: 'the command line was used wrongly (exit code 2, with the usage)',
  MEMGRADE_INVALID_CURSOR: 'a list cursor the store did not hand out',
  MEMGRADE_TOKEN_NAME_TAKEN: 'a token of that name exists already',
  MEMGRADE_POOL_CLOSED: 'a grading was asked of a sandbox pool that is shutting down',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class MemgradeError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

export class ConfigError extends MemgradeError {
  constructor(message: string) {
    super('MEMGRADE_CONFIG', message);
  }
}

export class AssignmentError extends MemgradeError {
  constructor(message: string) {
    super('MEMGRADE_ASSIGNMENT', message);
  }
}

export class UsageError extends MemgradeError {
  constructor(message: string) {
    super('MEMGRADE_USAGE', message);
  }
}

export class InvalidCursorError extends MemgradeError {
  constructor(message: string) {
    super('MEMGRADE_INVALID_CURSOR', message);
  }
}

export class TokenNameTakenError extends MemgradeError {
  constructor(message: string) {
    super('MEMGRADE_TOKEN_NAME_TAKEN', message);
  }
}

export class PoolClosedError extends MemgradeError {
  constructor(message: string) {
    super('MEMGRADE_POOL_CLOSED', message);
  }
}
