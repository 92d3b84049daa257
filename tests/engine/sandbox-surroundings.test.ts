// What a sandbox child process holds and may reach, read from /proc: an allow-listed
// environment (none of the service's secrets), and, where this runs as root, another user and a
// network namespace of its own. And a child started before its SandboxProcess (start.ts, as the
// command line does) is taken over whatever it did meanwhile.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildJob } from '../../src/grading/grade.ts';
import { sandboxLaunch, SANDBOX_ENV } from '../../src/sandbox-host/launch.ts';
import { SANDBOX_ENTRY, SandboxProcess } from '../../src/sandbox-host/sandbox-process.ts';
import { startSandboxChild } from '../../src/sandbox-host/start.ts';
import { assignment, FIXTURE_ASSIGNMENTS_DIR } from '../support.ts';

const SECRET = 'memgrade-secret-token-7c6b5a49';
let sandbox: SandboxProcess;
before(async () => {
  process.env.MEMGRADE_TOKENS = SECRET;
  sandbox = new SandboxProcess();
  await sandbox.ready;
});
after(() => sandbox.close());

const proc = (file: string) => readFileSync(`/proc/${sandbox.pid}/${file}`, 'utf8');
const isRoot = process.getuid?.() === 0;

describe('the sandbox process', () => {
  test('gets only the allow-listed environment: no token, no secret of the service', () => {
    const names = proc('environ').split('\0').filter((e) => e !== '').map((e) => e.slice(0, e.indexOf('=')));
    // Besides the allow-list, only what fork() adds for the IPC channel.
    assert.deepEqual(names.filter((n) => !n.startsWith('NODE_CHANNEL_')).sort(), Object.keys(SANDBOX_ENV).sort());
    assert.ok(!proc('environ').includes(SECRET));
  });

  test('as root, runs as nobody, without supplementary groups', { skip: !isRoot && 'needs root' }, () => {
    const uid = /^Uid:\s+(\d+)/m.exec(proc('status'))?.[1];
    const groups = /^Groups:[ \t]*(.*)$/m.exec(proc('status'))?.[1].trim();
    assert.equal(uid, '65534');
    assert.equal(groups, '');
    assert.equal(sandboxLaunch({ user: 'nobody', entry: SANDBOX_ENTRY }).enforced.user, 'nobody');
  });

  test('has a network namespace of its own where the platform allows one', (t) => {
    const { network } = sandboxLaunch({ user: 'nobody', entry: SANDBOX_ENTRY }).enforced;
    if (network !== 'none') {
      t.skip('unshare cannot make a network namespace here');
      return;
    }
    assert.notEqual(readlinkSync(`/proc/${sandbox.pid}/ns/net`), readlinkSync('/proc/self/ns/net'));
    // Its only interface is a loopback that is down.
    const interfaces = proc('net/dev').split('\n').slice(2).filter((l) => l.trim() !== '').map((l) => l.trim().split(':')[0]);
    assert.deepEqual(interfaces, ['lo']);
  });
});

describe('a sandbox child started before its SandboxProcess', () => {
  const tiny = assignment('tiny-sum');
  const fixed = readFileSync(join(FIXTURE_ASSIGNMENTS_DIR, 'tiny-sum', 'solutions', 'fixed.js'), 'utf8');

  test('is taken over after it said it was ready, and runs a job', async () => {
    const started = startSandboxChild();
    // Its 'ready' went by with no SandboxProcess listening: kept for it.
    await once(started.child, 'message');
    const early = new SandboxProcess({ started });
    try {
      await early.ready;
      const outcome = await early.run(buildJob(tiny, fixed));
      assert.equal(outcome.kind, 'report');
      assert.ok(early.lastTimings !== null && early.lastTimings['measured.ran'] > early.lastTimings['child.ready']);
    } finally {
      await early.close();
    }
  });

  test('that died before it was taken over is a start that failed', async () => {
    const started = startSandboxChild();
    const gone = once(started.child, 'exit');
    started.child.kill('SIGKILL');
    await gone;
    const early = new SandboxProcess({ started });
    await assert.rejects(early.ready, /exited before it was ready \(SIGKILL\)/);
    assert.equal(early.alive, false);
  });
});
