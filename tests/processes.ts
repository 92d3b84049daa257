// memgrade's processes for the tests, with the test defaults; whatever a test leaves running is
// killed when its file ends.
import type { ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import supertest from 'supertest';
import { contractChecked } from './http/support.ts';
import { FIXTURE_ASSIGNMENTS_DIR } from './support.ts';
import { spawnMemgrade, WORKER_ARGS, WORKER_READY, type Started } from './support/processes.ts';

export type { Started };

const children: ChildProcess[] = [];
after(() => {
  // A failed test must not leave a process running, or the test process would never end.
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

export interface StartedApi extends Started {
  http: ReturnType<typeof supertest>;
  url: string;
}

/** The test defaults: the fixture assignments, one sandbox process, no rate limit in the way. */
const DEFAULTS = { MEMGRADE_ASSIGNMENTS_DIRS: FIXTURE_ASSIGNMENTS_DIR, MEMGRADE_POOL_SIZE: '1', MEMGRADE_RATE_LIMIT: '100000' };

/** src/main.ts as `npm start` runs it, on a free port; resolves once it listens. */
export async function startApi(env: Record<string, string>): Promise<StartedApi> {
  const { match, ...started } = await spawnMemgrade(
    ['src/main.ts'],
    { ...DEFAULTS, PORT: '0', ...env },
    /Server listening at (http:\/\/127\.0\.0\.1:\d+)/,
    children,
  );
  // Its answers checked against openapi.yaml, as those of the in-process service are.
  return { ...started, url: match[1], http: contractChecked(supertest(match[1])) };
}

/** `memgrade worker`; resolves once it takes jobs. */
export async function startWorkerProcess(env: Record<string, string>): Promise<Started> {
  const { match: _, ...started } = await spawnMemgrade(WORKER_ARGS, { ...DEFAULTS, ...env }, WORKER_READY, children);
  return started;
}
