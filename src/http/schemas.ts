// The API's shapes, once: Fastify validates requests with them, @fastify/swagger turns them into
// openapi.yaml, and the tests check responses against that file. Schemas with an $id become
// components of the document.
import { Type, type Static } from '@sinclair/typebox';
import { GradeReason, GradeResult, GradeStatus } from '../grading/index.ts';
import { API_ERROR_CODES, type ApiErrorCode } from '../errors.ts';
import { FORMATS, mediaTypes, REPORTERS } from '../report/index.ts';
import { Nullable } from '../sandbox-host/index.ts';
import { tokenSchemas } from './token-schemas.ts';

export const ErrorDetail = Type.Object(
  {
    field: Nullable(Type.String({ description: 'where the problem is: body.code, query.limit, header.authorization, ...' })),
    message: Type.String(),
  },
  { additionalProperties: false },
);

export const ApiError = Type.Object(
  {
    error: Type.Unsafe<ApiErrorCode>({
      type: 'string',
      enum: API_ERROR_CODES,
      description: 'machine-readable; each code, its status and when it is answered: src/errors.ts and docs/service.md',
    }),
    message: Type.String(),
    details: Type.Array(ErrorDetail),
  },
  { $id: 'Error', additionalProperties: false, description: 'every 4xx and 5xx answer' },
);
export type ApiError = Static<typeof ApiError>;

const AssignmentId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 100 });
/**
 * Free-form, but without control characters (PostgreSQL text cannot hold U+0000, and a listing
 * shows it), bidirectional controls (U+061C, U+200E-200F, U+202A-202E, U+2066-2069) or zero-width
 * characters (U+200B-200D, U+2060, U+FEFF): a name that shows as another, or reorders the row
 * it is printed in, is a name an instructor cannot trust.
 */
const StudentName = (description?: string) =>
  Type.String({
    minLength: 1,
    maxLength: 200,
    pattern: '^[^\\u0000-\\u001F\\u007F\\u061C\\u200B-\\u200F\\u202A-\\u202E\\u2060\\u2066-\\u2069\\uFEFF]+$',
    ...(description ? { description } : {}),
  });

export const SubmissionRequest = Type.Object(
  {
    assignment: AssignmentId,
    code: Type.String({ minLength: 1, description: "the submission's source; at most the assignment's max_code_bytes (UTF-8)" }),
    student: Type.Optional(
      StudentName(
        "whose submission it is: a student token's own name (the default; another is refused with 403), any name for an instructor token; " +
          'without control, bidirectional or zero-width characters',
      ),
    ),
    wait: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 600,
        description: 'seconds to wait for the result before answering 202; capped by the server (same as Prefer: wait=N)',
      }),
    ),
    callback_url: Type.Optional(
      Type.String({
        maxLength: 2000,
        description:
          'instructor tokens only: where a signed submission.done event (Standard Webhooks) is POSTed once graded; ' +
          'loopback, private and every other special-purpose address (IANA) is refused',
      }),
    ),
  },
  { $id: 'SubmissionRequest', additionalProperties: false },
);
export type SubmissionRequest = Static<typeof SubmissionRequest>;

export const SubmissionStatus = Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('done')], {
  description: 'done means the result is final (passed, failed or error)',
});

const Links = Type.Object(
  { self: Type.String(), report: Type.Optional(Type.String({ description: 'the report page, once the submission is done' })) },
  { additionalProperties: false },
);

export const SubmissionAccepted = Type.Object(
  { id: Type.String(), status: SubmissionStatus, links: Links },
  { $id: 'SubmissionAccepted', additionalProperties: false },
);

const submissionFields = {
  id: Type.String(),
  assignment: Type.String(),
  student: Nullable(Type.String()),
  status: SubmissionStatus,
  created_at: Type.String({ format: 'date-time' }),
  started_at: Nullable(Type.String({ format: 'date-time' })),
  finished_at: Nullable(Type.String({ format: 'date-time' })),
  links: Links,
};

export const Submission = Type.Object(
  {
    ...submissionFields,
    result: Nullable(Type.Ref(GradeResult, { description: "the grading engine's result, unchanged; null until done" })),
  },
  { $id: 'Submission', additionalProperties: false },
);
export type Submission = Static<typeof Submission>;

export const SubmissionSummary = Type.Object(
  {
    ...submissionFields,
    verdict: Nullable(
      Type.Object(
        {
          status: GradeStatus,
          reason: GradeReason,
          message: Type.String(),
          peak_bytes: Nullable(Type.Integer()),
          limit_bytes: Type.Integer(),
          score: Nullable(Type.Number({ description: 'the points earned' })),
          max_score: Nullable(Type.Number({ description: 'the points there were' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { $id: 'SubmissionSummary', additionalProperties: false, description: 'a submission without its full result' },
);
export type SubmissionSummary = Static<typeof SubmissionSummary>;

export const SubmissionPage = Type.Object(
  {
    items: Type.Array(Type.Ref(SubmissionSummary), { description: 'newest first' }),
    next_cursor: Nullable(Type.String()),
    links: Type.Object({ self: Type.String(), next: Nullable(Type.String()) }, { additionalProperties: false }),
  },
  { $id: 'SubmissionPage', additionalProperties: false },
);
export type SubmissionPage = Static<typeof SubmissionPage>;

export const PAGE_SIZE = 20;

export const ListQuery = Type.Object(
  {
    assignment: Type.Optional(AssignmentId),
    student: Type.Optional(StudentName()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: PAGE_SIZE })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'next_cursor of the previous page' })),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

export const IdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'a submission or assignment id' }) },
  { additionalProperties: false },
);

/** A submission's own representation, with its result inside. */
export const SUBMISSION_MEDIA_TYPE = 'application/json';
/**
 * The formats a done submission's result can be read in: every reporter's but the one served as
 * the submission's own media type, which the submission already is (its `result`).
 */
export const RESULT_FORMATS = FORMATS.filter((f) => mediaTypes(REPORTERS[f])[0] !== SUBMISSION_MEDIA_TYPE);
export const SubmissionQuery = Type.Object(
  {
    format: Type.Optional(
      Type.Union(
        RESULT_FORMATS.map((f) => Type.Literal(f)),
        {
          description:
            'the result alone, in that format; also chosen by Accept, by the media type each is served as: ' +
            RESULT_FORMATS.map((f) => `${f}: ${REPORTERS[f].description} (${mediaTypes(REPORTERS[f]).join(' or ')})`).join('; '),
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type SubmissionQuery = Static<typeof SubmissionQuery>;
export type IdParams = Static<typeof IdParams>;

export const PreferHeader = Type.Object({
  prefer: Type.Optional(Type.String({ description: 'RFC 7240; wait=N waits up to N seconds for the result' })),
});

export const AssignmentView = Type.Object(
  {
    id: Type.String(),
    title: Type.String(),
    summary: Type.String(),
    description: Type.String({ description: "the student-facing README (Markdown)" }),
    starter_code: Type.String(),
    entry_point: Type.String(),
    steps: Type.Array(Type.String()),
    limit_bytes: Type.Integer({ description: 'the peak a passing submission stays within' }),
    limits: Type.Object(
      {
        memory_cap_bytes: Type.Integer({ description: 'hard cap: allocations past it fail' }),
        timeout_ms: Type.Integer(),
        cpu_time_ms: Type.Integer(),
        max_code_bytes: Type.Integer(),
      },
      { additionalProperties: false, description: 'hard caps' },
    ),
    links: Links,
  },
  { $id: 'Assignment', additionalProperties: false },
);
export type AssignmentView = Static<typeof AssignmentView>;

export const AssignmentList = Type.Object(
  { items: Type.Array(Type.Ref(AssignmentView)) },
  { $id: 'AssignmentList', additionalProperties: false },
);

const GradebookLatest = Type.Object(
  {
    id: Type.String(),
    status: SubmissionStatus,
    verdict: Nullable(GradeStatus),
    reason: GradeReason,
    score: Nullable(Type.Number()),
    peak_bytes: Nullable(Type.Integer()),
    submitted_at: Type.String({ format: 'date-time' }),
    report: Type.String({ description: 'the report page of the latest submission' }),
  },
  { additionalProperties: false },
);

export const Gradebook = Type.Object(
  {
    assignment: Type.String(),
    max_score: Type.Number(),
    rows: Type.Array(
      Type.Object(
        {
          student: Type.String({ description: 'the submissions\' `student`, or the client that made them when they carry none' }),
          submissions: Type.Integer(),
          best_score: Nullable(Type.Number({ description: 'the best score of any graded submission' })),
          latest: GradebookLatest,
        },
        { additionalProperties: false },
      ),
    ),
  },
  { $id: 'Gradebook', additionalProperties: false, description: 'one row per student; CSV with Accept: text/csv' },
);
export type Gradebook = Static<typeof Gradebook>;

export const RegradeAccepted = Type.Object(
  { regrading: Type.Integer({ description: 'latest submissions put back in the queue, below live ones' }) },
  { $id: 'RegradeAccepted', additionalProperties: false },
);

export const Health = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false });

export const Readiness = Type.Object(
  {
    status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
    checks: Type.Object(
      {
        store: Type.Boolean(),
        workers: Type.Object(
          { ok: Type.Boolean(), alive: Type.Integer(), size: Type.Integer() },
          {
            additionalProperties: false,
            description:
              "this process's sandbox processes: how many are alive, of the pool's size; ok with one alive, or with no pool " +
              '(`MEMGRADE_POOL_SIZE=0`)',
          },
        ),
        queue: Type.Object({ ok: Type.Boolean(), depth: Type.Integer(), limit: Type.Integer() }, { additionalProperties: false }),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'Readiness', additionalProperties: false },
);
export type Readiness = Static<typeof Readiness>;

/** Every schema the routes refer to by $ref, in the order they appear in openapi.yaml. */
export const sharedSchemas = [
  ApiError,
  SubmissionRequest,
  SubmissionAccepted,
  GradeResult,
  Submission,
  ...RESULT_FORMATS.flatMap((f) => REPORTERS[f].schema ?? []),
  SubmissionSummary,
  SubmissionPage,
  AssignmentView,
  AssignmentList,
  Gradebook,
  RegradeAccepted,
  Readiness,
  ...tokenSchemas,
];
