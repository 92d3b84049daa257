// The HTTP layer, as the service's assembly uses it: the Fastify application and what it needs.
export { buildApp, type AppDeps } from './app.ts';
