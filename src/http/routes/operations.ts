// Probes for orchestrators and the API's own description.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import { Health, Readiness } from '../schemas.ts';

export function operationRoutes(app: FastifyInstance, { store, queue, pool, queueLimit }: AppDeps): void {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'The process is up',
        operationId: 'getHealth',
        tags: ['operations'],
        // Open to anyone, token or not: an orchestrator's probe carries none.
        security: [],
        response: { 200: { ...Health, description: 'up' } },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Ready to take submissions: store reachable, sandbox processes alive, queue not saturated',
        operationId: 'getReadiness',
        tags: ['operations'],
        security: [],
        response: { 200: Type.Ref(Readiness, { description: 'ready' }), 503: Type.Ref(Readiness, { description: 'not ready' }) },
      },
    },
    async (_request, reply) => {
      const sandboxes = pool.stats();
      const depth = await queue.depth();
      const checks = {
        store: await store.ping(),
        // Sandbox processes, under the API's name for them. A process with no pool of its own
        // (MEMGRADE_POOL_SIZE=0) leaves grading to `memgrade worker` processes.
        workers: { ok: sandboxes.size === 0 || sandboxes.alive > 0, alive: sandboxes.alive, size: sandboxes.size },
        queue: { ok: depth < queueLimit, depth, limit: queueLimit },
      };
      const ready = checks.store && checks.workers.ok && checks.queue.ok;
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    },
  );

  app.get('/openapi.yaml', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('application/yaml; charset=utf-8').send(app.swagger({ yaml: true })),
  );
}
