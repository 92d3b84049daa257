// /v1/submissions: create one (optionally waiting for its result), read one, list them.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { codeBytes } from '../../grading/index.ts';
import { mediaTypes, REPORTERS } from '../../report/index.ts';
import { InvalidCursorError, type ApiErrorCode } from '../../errors.ts';
import type { AppDeps } from '../app.ts';
import { refusedTarget } from '../../webhooks/index.ts';
import { maySee, submissionStudent } from '../auth.ts';
import { preferredWait } from '../prefer.ts';
import { ApiProblem } from '../problems.ts';
import { errorResponses } from '../responses.ts';
import {
  IdParams,
  ListQuery,
  PAGE_SIZE,
  PreferHeader,
  RESULT_FORMATS,
  Submission,
  SubmissionAccepted,
  SubmissionPage,
  SubmissionQuery,
  SubmissionRequest,
  SUBMISSION_MEDIA_TYPE,
} from '../schemas.ts';
import { submissionPath, submissionView, summaryView } from '../views.ts';

/** Why the queue turned a submission away, as an answer. */
const REFUSALS: Record<'client_share' | 'full' | 'closing' | 'client_storage', [ApiErrorCode, string]> = {
  client_share: ['too_many_requests', 'you have too many submissions waiting to be graded; retry later'],
  client_storage: [
    'quota_exceeded',
    'your submissions take all the storage one client may keep (code and results); delete old ones (DELETE /v1/submissions/{id}) to submit again',
  ],
  full: ['unavailable', 'the grading queue is full; retry later'],
  closing: ['unavailable', 'the service is shutting down; retry shortly'],
};

const LOCATION = { Location: { type: 'string', description: 'the submission: /v1/submissions/{id}' } };

type ResultFormat = (typeof RESULT_FORMATS)[number];
/** Each format by every media type Accept may name it by. */
const BY_MEDIA_TYPE = new Map(RESULT_FORMATS.flatMap((f) => mediaTypes(REPORTERS[f]).map((type) => [type, f] as const)));

/** A format asked for by Accept alone, by its first media type (the submission's JSON stays the default). */
function formatFromAccept(accept: string | undefined): ResultFormat | undefined {
  return BY_MEDIA_TYPE.get((accept ?? '').split(',')[0].split(';')[0].trim().toLowerCase());
}

/** Each representation of GET /v1/submissions/{id}: the submission, or its result in a format, under its own media type. */
const SUBMISSION_CONTENT = {
  [SUBMISSION_MEDIA_TYPE]: { schema: Type.Ref(Submission) },
  ...Object.fromEntries(
    RESULT_FORMATS.map((f) => {
      const reporter = REPORTERS[f];
      const schema = reporter.schema ? Type.Ref(reporter.schema) : { type: 'string', description: `?format=${f}: ${reporter.description}` };
      return [mediaTypes(reporter)[0], { schema }];
    }),
  ),
};

const notDone = (id: string, status: string) =>
  new ApiProblem('not_ready', `submission "${id}" is ${status}; its result exists once it is done`, [], { 'retry-after': '1' });

/** From here on, this request's log lines name the submission too. */
function tagLog(request: FastifyRequest, reply: FastifyReply, id: string): void {
  request.log = reply.log = request.log.child({ submission_id: id });
}

export function submissionRoutes(app: FastifyInstance, { store, queue, assignments, maxWaitS, webhooks }: AppDeps): void {
  /** A callback_url the caller may set and the service may call: instructors only, no internal address. */
  async function acceptedCallback(request: FastifyRequest, url: string | undefined): Promise<string | null> {
    if (url === undefined) return null;
    const refuse = (error: 'forbidden' | 'invalid_request', message: string) =>
      new ApiProblem(error, `callback_url ${message}`, [{ field: 'body.callback_url', message }]);
    if (request.role !== 'instructor') throw refuse('forbidden', 'is for instructor tokens only');
    if (webhooks === null) throw refuse('invalid_request', 'needs MEMGRADE_WEBHOOK_SECRET on the server, which signs the events');
    const why = await refusedTarget(url, webhooks.allowPrivate);
    if (why !== null) throw refuse('invalid_request', why);
    return url;
  }

  app.post<{ Body: SubmissionRequest; Headers: { prefer?: string } }>(
    '/submissions',
    {
      schema: {
        summary: 'Submit code for grading',
        operationId: 'createSubmission',
        description:
          'Queues the submission. With `wait` (or `Prefer: wait=N`) the answer is 201 with the result when grading ends within N seconds, else 202.',
        tags: ['submissions'],
        body: Type.Ref(SubmissionRequest),
        headers: PreferHeader,
        response: {
          201: Type.Ref(Submission, { description: 'graded within the wait', headers: LOCATION }),
          202: Type.Ref(SubmissionAccepted, { description: 'queued; poll links.self', headers: LOCATION }),
          ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const student = submissionStudent(request, body.student);
      const assignment = assignments.get(body.assignment);
      if (!assignment) {
        throw new ApiProblem('not_found', `no assignment "${body.assignment}"`, [
          { field: 'body.assignment', message: `is not one of ${[...assignments.keys()].join(', ')}` },
        ]);
      }
      const size = codeBytes(body.code);
      const max = assignment.manifest.limits.max_code_bytes;
      if (size > max) {
        throw new ApiProblem('payload_too_large', `code is ${size} bytes; ${assignment.manifest.id} accepts at most ${max}`, [
          { field: 'body.code', message: `is longer than ${max} bytes` },
        ]);
      }
      const callbackUrl = await acceptedCallback(request, body.callback_url);
      const admission = await queue.submit({
        assignment: assignment.manifest.id,
        code: body.code,
        student,
        client: request.client,
        requestId: request.id,
        callbackUrl,
      });
      if (!admission.accepted) {
        const [error, message] = REFUSALS[admission.why];
        throw new ApiProblem(error, message, [], { 'retry-after': String(admission.retryAfterS) });
      }
      const { id } = admission.submission;
      tagLog(request, reply, id);
      request.log.info({ assignment: assignment.manifest.id, code_bytes: size }, 'submission accepted');
      reply.header('location', submissionPath(id));

      const preferred = preferredWait(request.headers.prefer);
      const wait = Math.min(body.wait ?? preferred ?? 0, maxWaitS);
      if (body.wait === undefined && preferred !== null) reply.header('preference-applied', `wait=${wait}`);
      if (wait > 0) await queue.waitFor(id, wait * 1000);
      const now = (await store.get(id)) ?? admission.submission;
      if (now.status === 'done') return reply.code(201).send(submissionView(now));
      return reply.code(202).send({ id, status: now.status, links: { self: submissionPath(id) } });
    },
  );

  app.get<{ Params: IdParams; Querystring: SubmissionQuery }>(
    '/submissions/:id',
    {
      schema: {
        summary: "A submission's state and, once done, its result",
        operationId: 'getSubmission',
        description: 'With ?format= (or Accept), the result alone in that format, once the submission is done (409 until then).',
        tags: ['submissions'],
        params: IdParams,
        querystring: SubmissionQuery,
        response: {
          200: { description: 'the submission, or its result in the format asked for', content: SUBMISSION_CONTENT },
          ...errorResponses(400, 401, 404, 409, 429),
        },
      },
    },
    async (request, reply) => {
      tagLog(request, reply, request.params.id);
      const found = await findSubmission(request, request.params.id);
      const format = request.query.format ?? formatFromAccept(request.headers.accept);
      if (format === undefined) return submissionView(found);
      const assignment = assignments.get(found.assignment);
      if (found.result === null || !assignment) throw notDone(found.id, found.status);
      const reporter = REPORTERS[format];
      return reply.type(reporter.contentType).send(reporter.render(found.result, assignment, { startedAt: found.startedAt }));
    },
  );

  app.get<{ Params: IdParams }>(
    '/submissions/:id/report',
    {
      schema: {
        summary: 'The report page of a graded submission',
        operationId: 'getSubmissionReport',
        description:
          'One self-contained HTML page (inline SVG and CSS, nothing fetched when viewed): ' +
          'the verdict, live memory over time, what was alive at the peak, who held it, and the steps.',
        tags: ['submissions'],
        params: IdParams,
        response: {
          200: { description: 'the report page', content: { 'text/html': { schema: { type: 'string' } } } },
          ...errorResponses(400, 401, 404, 409, 429),
        },
      },
    },
    async (request, reply) => {
      tagLog(request, reply, request.params.id);
      const found = await findSubmission(request, request.params.id);
      const assignment = assignments.get(found.assignment);
      if (found.result === null || !assignment) throw notDone(found.id, found.status);
      return reply.type(REPORTERS.html.contentType).send(REPORTERS.html.render(found.result, assignment));
    },
  );

  /** The submission, if the caller may see it; another token's answers 404, as if it did not exist. */
  async function findSubmission(request: FastifyRequest, id: string) {
    const found = await store.get(id);
    if (!found || !maySee(request, found.client)) {
      throw new ApiProblem('not_found', `no submission "${id}"`, [{ field: 'path.id', message: 'is not a known submission' }]);
    }
    return found;
  }

  app.delete<{ Params: IdParams }>(
    '/submissions/:id',
    {
      schema: {
        summary: 'Delete a submission, its code and its result',
        operationId: 'deleteSubmission',
        description: 'For the token that made it, and for instructors. A submission being graded cannot be deleted yet (409).',
        tags: ['submissions'],
        params: IdParams,
        response: { 204: { type: 'null', description: 'deleted' }, ...errorResponses(400, 401, 404, 409, 429) },
      },
    },
    async (request, reply) => {
      tagLog(request, reply, request.params.id);
      const found = await findSubmission(request, request.params.id);
      if (found.status !== 'done' && !(await queue.forget(found.id))) {
        throw new ApiProblem('not_ready', `submission "${found.id}" is being graded; delete it once it is done`, [], { 'retry-after': '1' });
      }
      await store.delete(found.id);
      request.log.info('submission deleted');
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/submissions',
    {
      schema: {
        summary: 'Submissions, newest first, a page at a time',
        operationId: 'listSubmissions',
        tags: ['submissions'],
        querystring: ListQuery,
        response: { 200: Type.Ref(SubmissionPage, { description: 'one page' }), ...errorResponses(400, 401, 429) },
      },
    },
    async (request) => {
      const { assignment, student, limit = PAGE_SIZE, cursor } = request.query;
      let page;
      try {
        // A student's token lists its own submissions only.
        page = await store.list({ assignment, student, limit, cursor, client: request.role === 'instructor' ? undefined : request.client });
      } catch (error) {
        if (!(error instanceof InvalidCursorError)) throw error;
        throw new ApiProblem('invalid_request', error.message, [{ field: 'query.cursor', message: error.message }]);
      }
      const link = (c: string | undefined) => {
        const query = new URLSearchParams();
        if (assignment !== undefined) query.set('assignment', assignment);
        if (student !== undefined) query.set('student', student);
        query.set('limit', String(limit));
        if (c !== undefined) query.set('cursor', c);
        return `/v1/submissions?${query}`;
      };
      return {
        items: page.items.map(summaryView),
        next_cursor: page.next,
        links: { self: link(cursor), next: page.next === null ? null : link(page.next) },
      };
    },
  );
}
