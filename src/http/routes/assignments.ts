// /v1/assignments: what a student needs to start, and the limits they will be graded against.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Assignment } from '../../grading/index.ts';
import type { AppDeps } from '../app.ts';
import { ApiProblem } from '../problems.ts';
import { errorResponses } from '../responses.ts';
import { AssignmentList, AssignmentView, IdParams } from '../schemas.ts';
import { assignmentView } from '../views.ts';

/** The assignment a path's `{id}` names, or the 404 that says it names none. */
export function assignmentAt(assignments: Map<string, Assignment>, id: string): Assignment {
  const found = assignments.get(id);
  if (!found) throw new ApiProblem('not_found', `no assignment "${id}"`, [{ field: 'path.id', message: 'is not a known assignment' }]);
  return found;
}

export function assignmentRoutes(app: FastifyInstance, { assignments }: AppDeps): void {
  app.get(
    '/assignments',
    {
      schema: {
        summary: 'Every assignment',
        operationId: 'listAssignments',
        tags: ['assignments'],
        response: { 200: Type.Ref(AssignmentList, { description: 'all assignments' }), ...errorResponses(401, 429) },
      },
    },
    async () => ({ items: [...assignments.values()].map(assignmentView) }),
  );

  app.get<{ Params: IdParams }>(
    '/assignments/:id',
    {
      schema: {
        summary: 'One assignment: description, starter code, limit and hard caps',
        operationId: 'getAssignment',
        tags: ['assignments'],
        params: IdParams,
        response: { 200: Type.Ref(AssignmentView, { description: 'the assignment' }), ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (request) => assignmentView(assignmentAt(assignments, request.params.id)),
  );
}
