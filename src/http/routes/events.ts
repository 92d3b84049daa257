// GET /v1/submissions/{id}/events: a submission's progress as Server-Sent Events, from its state
// when asked to the end of its grading. The stream is a plain GET under /v1 with the bearer token
// in its header, read with fetch() (EventSource cannot send a header, and the token never goes in
// a URL); a client that cannot read a stream polls GET /v1/submissions/{id} instead.
//
// The state is read from the store, so the stream works the same whichever process grades (the
// local queue, or any process on pg-boss): every POLL_MS, and at once when the queue says the grading
// ended. One read of a small row per open stream and poll; the stream ends with the grading, after
// MAX_STREAM_MS, or when the service closes, and the client then polls or asks again.
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { StoredSubmission } from '../../store/index.ts';
import type { AppDeps } from '../app.ts';
import { maySee } from '../auth.ts';
import { ApiProblem } from '../problems.ts';
import { errorResponses } from '../responses.ts';
import { IdParams, type SubmissionSummary } from '../schemas.ts';
import { summaryView } from '../views.ts';

const POLL_MS = 250;
/** A comment line this often keeps proxies and the client from taking a quiet stream for a dead one. */
const HEARTBEAT_MS = 15_000;
const MAX_STREAM_MS = 10 * 60_000;
/** What a client that lost the stream waits before it asks again (the `retry` field). */
const RETRY_MS = 2000;
/** Streams one client may hold open at once: each reads the store four times a second. */
export const STREAMS_PER_CLIENT = 8;

/** The submission as a list shows it, its verdict (with its score) read from the result. */
function progressView(s: StoredSubmission): SubmissionSummary {
  const { result, ...rest } = s;
  const verdict =
    result === null
      ? null
      : {
          status: result.status,
          reason: result.reason,
          message: result.message,
          peak_bytes: result.peak_bytes,
          limit_bytes: result.limit_bytes,
          score: result.score,
          max_score: result.max_score,
        };
  return summaryView({ ...rest, verdict });
}

/** One event of the stream: its name, and its data as one line of JSON. */
const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

const EVENTS_DESCRIPTION =
  'Server-Sent Events (text/event-stream), read with fetch() and the bearer header (EventSource cannot send one). ' +
  'It starts with `retry: 2000`, then: `event: status` at once and at each change while the submission is queued or running, ' +
  '`event: done` once it is graded, and `event: end` if the stream ends before that ' +
  '(`reason`: `deleted`, `timeout` after 10 minutes, or `closing` when the service shuts down); the stream then ends. ' +
  "The data of status and done is one line of JSON, the submission as the list shows it (a SubmissionSummary: done's carries the verdict). " +
  'A comment line (`: waiting`) comes every 15 s while nothing changes. A client that cannot read a stream polls GET /v1/submissions/{id}.';

export function eventRoutes(app: FastifyInstance, { store, queue }: AppDeps): void {
  /** Open streams, each with the way to end it: the service ends them when it closes. */
  const open = new Map<PassThrough, () => void>();
  const perClient = new Map<string, number>();
  app.addHook('preClose', async () => {
    for (const end of [...open.values()]) end();
  });

  app.get<{ Params: IdParams }>(
    '/submissions/:id/events',
    {
      schema: {
        summary: "A submission's progress as a stream of Server-Sent Events: queued, running, done",
        operationId: 'streamSubmissionEvents',
        description: EVENTS_DESCRIPTION,
        tags: ['submissions'],
        params: IdParams,
        response: {
          200: {
            description: 'the stream, until the submission is done',
            content: { 'text/event-stream': { schema: { type: 'string', description: EVENTS_DESCRIPTION } } },
          },
          ...errorResponses(400, 401, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      const first = await store.get(id);
      if (first === null || !maySee(request, first.client)) {
        throw new ApiProblem('not_found', `no submission "${id}"`, [{ field: 'path.id', message: 'is not a known submission' }]);
      }
      const client = request.client;
      const held = perClient.get(client) ?? 0;
      if (held >= STREAMS_PER_CLIENT) {
        throw new ApiProblem('too_many_requests', `this client has ${held} progress streams open already; close one, or poll`, [], {
          'retry-after': '5',
        });
      }
      perClient.set(client, held + 1);
      const stream = new PassThrough();
      const stop = new AbortController();
      const end = (reason?: 'deleted' | 'timeout' | 'closing') => {
        if (stop.signal.aborted) return;
        stop.abort();
        open.delete(stream);
        const left = (perClient.get(client) ?? 1) - 1;
        if (left > 0) perClient.set(client, left);
        else perClient.delete(client);
        if (reason !== undefined && stream.writable) stream.write(frame('end', { id, reason }));
        stream.end();
      };
      open.set(stream, () => end('closing'));
      stream.on('close', () => end());

      const follow = async () => {
        stream.write(`retry: ${RETRY_MS}\n\n`);
        const deadline = Date.now() + MAX_STREAM_MS;
        let shown: string | null = null;
        let quietSince = Date.now();
        let now: StoredSubmission | null = first;
        while (!stop.signal.aborted) {
          if (now === null) return end('deleted');
          if (now.status !== shown) {
            stream.write(frame(now.status === 'done' ? 'done' : 'status', progressView(now)));
            shown = now.status;
            quietSince = Date.now();
          }
          if (now.status === 'done') return end();
          if (Date.now() > deadline) return end('timeout');
          if (Date.now() - quietSince > HEARTBEAT_MS) {
            stream.write(': waiting\n\n');
            quietSince = Date.now();
          }
          // Woken early when the grading ends; any other early wake waits out the interval.
          const asleep = Date.now();
          await queue.waitFor(id, POLL_MS);
          const left = POLL_MS - (Date.now() - asleep);
          const after: StoredSubmission | null = await store.get(id);
          if (after?.status !== 'done' && left > 0) await sleep(left, undefined, { signal: stop.signal }).catch(() => undefined);
          now = after;
        }
      };
      follow().catch((error: unknown) => {
        if (!stop.signal.aborted) request.log.warn({ err: error, submission_id: id }, 'progress stream failed');
        end();
      });
      return reply.type('text/event-stream; charset=utf-8').header('x-accel-buffering', 'no').send(stream);
    },
  );
}
