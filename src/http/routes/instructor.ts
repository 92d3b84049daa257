// Instructor routes: a gradebook of an assignment, and regrading its latest submissions.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { csv } from '../../report/index.ts';
import type { AppDeps } from '../app.ts';
import { requireInstructor } from '../auth.ts';
import { assignmentAt } from './assignments.ts';
import { errorResponses } from '../responses.ts';
import { Gradebook, IdParams, RegradeAccepted } from '../schemas.ts';
import { gradebookView } from '../views.ts';

const GRADEBOOK_CSV_HEADER = [
  'student',
  'submissions',
  'best_score',
  'max_score',
  'latest_id',
  'status',
  'verdict',
  'reason',
  'score',
  'peak_bytes',
  'submitted_at',
  'report',
];

export function instructorRoutes(app: FastifyInstance, { assignments, store, queue }: AppDeps): void {
  const assignmentOf = (request: FastifyRequest<{ Params: IdParams }>) => {
    requireInstructor(request);
    return assignmentAt(assignments, request.params.id);
  };

  app.get<{ Params: IdParams }>(
    '/assignments/:id/gradebook',
    {
      schema: {
        summary: "An assignment's gradebook: one row per student (instructor tokens)",
        operationId: 'getGradebook',
        description: 'The latest submission of each student, their best score, status, peak and a link to the report. JSON, or CSV with Accept: text/csv.',
        tags: ['instructor'],
        params: IdParams,
        response: {
          200: {
            description: 'the gradebook',
            content: { 'application/json': { schema: Type.Ref(Gradebook) }, 'text/csv': { schema: { type: 'string' } } },
          },
          ...errorResponses(400, 401, 403, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const assignment = assignmentOf(request);
      const book = gradebookView(assignment, await store.gradebook(assignment.manifest.id));
      if (!/\btext\/csv\b/.test(request.headers.accept ?? '')) return book;
      const rows = book.rows.map((r) => [
        r.student,
        r.submissions,
        r.best_score,
        book.max_score,
        r.latest.id,
        r.latest.status,
        r.latest.verdict,
        r.latest.reason,
        r.latest.score,
        r.latest.peak_bytes,
        r.latest.submitted_at,
        r.latest.report,
      ]);
      return reply.type('text/csv; charset=utf-8').send(csv(GRADEBOOK_CSV_HEADER, rows));
    },
  );

  app.post<{ Params: IdParams }>(
    '/assignments/:id/regrade',
    {
      schema: {
        summary: 'Grade the latest submission of every student again (instructor tokens)',
        operationId: 'regradeAssignment',
        description:
          "After an assignment's helpers or limits change. The submissions go back in the queue below live ones; " +
          'the gradebook shows their new results once done. Submissions being graded now are left as they are. ' +
          'It takes no body (400 if one is sent).',
        tags: ['instructor'],
        params: IdParams,
        response: { 202: Type.Ref(RegradeAccepted, { description: 'queued' }), ...errorResponses(400, 401, 403, 404, 429, 503) },
      },
    },
    async (request, reply) => {
      const assignment = assignmentOf(request);
      const latest = gradebookView(assignment, await store.gradebook(assignment.manifest.id)).rows.map((r) => r.latest.id);
      const regrading = await queue.regrade(latest);
      request.log.info({ assignment: assignment.manifest.id, regrading }, 'regrade queued');
      return reply.code(202).send({ regrading });
    },
  );
}
