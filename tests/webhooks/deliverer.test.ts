// The deliverer against real receivers on loopback, one misbehaving each way issue 17 saw: one that
// trickles its answer (it must be cut at the deadline and hold up no other delivery), one that
// streams a huge body (only a small part may be read), and one the deliverer must not reach at all.
// A real SQLite store in memory holds the deliveries, as in the service.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { after, afterEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/log.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { submissionDoneDelivery, WebhookDeliverer } from '../../src/webhooks/deliverer.ts';
import { gradeResult, newSubmission } from '../store/contract.ts';

const SECRET = `whsec_${Buffer.from('memgrade-test-webhook-secret-24b').toString('base64')}`;

async function until<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const servers: (Server | NetServer)[] = [];
const sockets = new Set<Socket>();
async function listen(server: Server | NetServer): Promise<string> {
  servers.push(server);
  server.on('connection', (socket: Socket) => sockets.add(socket.on('close', () => sockets.delete(socket))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
}
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers.splice(0)) {
    await new Promise((resolve) => server.close(resolve));
  }
});

interface Setup {
  store: SqliteStore;
  deliverer: WebhookDeliverer;
  logs: Record<string, unknown>[];
  /** Stores a done submission with a delivery to `url`, as grading does, and kicks the deliverer. */
  enqueue: (url: string) => Promise<string>;
}
const opened: Setup[] = [];
function open(allowInternal: boolean, deadlineMs?: number): Setup {
  const store = new SqliteStore(':memory:');
  const logs: Record<string, unknown>[] = [];
  const log = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const deliverer = new WebhookDeliverer(store, SECRET, allowInternal, log, deadlineMs === undefined ? undefined : { deadlineMs });
  const setup: Setup = {
    store,
    deliverer,
    logs,
    enqueue: async (url) => {
      const stored = await store.insert(newSubmission({ callbackUrl: url }));
      await store.claim(stored.id);
      const delivery = submissionDoneDelivery(stored, gradeResult(), url);
      assert.equal(await store.finish(stored.id, gradeResult(), delivery), true);
      deliverer.kick();
      return delivery.id;
    },
  };
  opened.push(setup);
  return setup;
}
after(async () => {
  for (const { deliverer, store } of opened) {
    await deliverer.close();
    await store.close();
  }
});

const logged = (logs: Record<string, unknown>[], msg: string, id: string) => logs.find((l) => l.msg === msg && l.webhook_id === id);
/** What the store holds of a pending delivery (taking it, which only a closed deliverer can spare). */
async function pending(store: SqliteStore, id: string) {
  return (await store.takeDueDeliveries('9999-01-01T00:00:00.000Z', '9999-01-01T00:00:00.000Z', 100)).find((d) => d.id === id);
}

test('a receiver trickling its answer is cut at the deadline, a failed try, and holds up no later delivery', async () => {
  const deadlineMs = 3000;
  // One byte every 200 ms, forever, of a header that never ends: an idle timeout never fires.
  const slow = { askedAt: 0, closedAt: 0 };
  const slowUrl = await listen(
    createNetServer((socket) => {
      let drip: NodeJS.Timeout | undefined;
      socket.once('data', () => {
        slow.askedAt = Date.now();
        socket.write('HTTP/1.1 200 OK\r\nx-slow: ');
        drip = setInterval(() => socket.write('a'), 200);
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(drip);
        slow.closedAt = Date.now();
      });
    }),
  );
  const fast: number[] = [];
  const fastUrl = await listen(createServer((req, res) => req.resume().on('end', () => res.end(void fast.push(Date.now())))));

  const { deliverer, store, logs, enqueue } = open(true, deadlineMs);
  const slowId = await enqueue(slowUrl);
  await until('the slow receiver to be asked', () => slow.askedAt || undefined, 5000);
  await enqueue(fastUrl);
  await until('the fast delivery', () => fast[0], 5000);
  assert.equal(slow.closedAt, 0, 'the fast receiver got its event while the slow one still trickled');

  await until('the slow delivery to be cut', () => slow.closedAt || undefined, deadlineMs + 5000);
  assert.ok(slow.closedAt - slow.askedAt >= deadlineMs - 500, 'cut at the deadline, not before');
  const failed = await until('the slow try recorded', () => logged(logs, 'webhook not delivered; tried again later', slowId), 5000);
  assert.match(String(failed.error), new RegExp(`no complete answer within ${deadlineMs / 1000} s`));
  await deliverer.close();
  const row = await pending(store, slowId);
  assert.equal(row?.attempts, 1);
  assert.equal(row?.lastStatus, null);
  assert.match(row?.lastError ?? '', /no complete answer within/);
});

test('of a receiver answering 200 with a 200 MiB body, a small part is read, then the connection is closed', async () => {
  const total = 200 * 1024 * 1024;
  const huge = { sent: 0, ended: false, closed: false };
  const url = await listen(
    createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      // Writes as fast as the deliverer reads, no faster: `sent` is what the socket took.
      const pump = () => {
        while (huge.sent < total) {
          huge.sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end(() => (huge.ended = true));
      };
      res.on('close', () => (huge.closed = true));
      pump();
    }),
  );
  const { logs, enqueue } = open(true);
  const id = await enqueue(url);
  const delivered = await until('the delivery', () => logged(logs, 'webhook delivered', id), 10_000);
  assert.equal(delivered.status, 200);
  await until('the receiver to see the connection end', () => (huge.closed || huge.ended) || undefined, 10_000);
  assert.equal(huge.ended, false, 'the body was not read to its end');
  // What the socket took is bounded by the kernel's buffers on both sides, far below the body.
  assert.ok(huge.sent < total / 4, `the receiver could write ${huge.sent} bytes`);
});

test('a target given as an address is refused at connection time too, as a name is', async () => {
  let connections = 0;
  const server = createServer((req, res) => req.resume().on('end', () => res.end()));
  server.on('connection', () => connections++);
  const url = new URL(await listen(server));
  // Stored while MEMGRADE_WEBHOOK_ALLOW_PRIVATE was true, say: delivered by a process where it is not.
  const { logs, enqueue } = open(false);
  const byAddress = await enqueue(url.href);
  const byName = await enqueue(`http://localhost:${url.port}/hooks`);
  const first = await until('the refused try', () => logged(logs, 'webhook not delivered; tried again later', byAddress), 5000);
  assert.match(String(first.error), /127\.0\.0\.0\/8 Loopback/);
  const second = await until('the refused try', () => logged(logs, 'webhook not delivered; tried again later', byName), 5000);
  assert.match(String(second.error), /resolves to refused addresses only/);
  assert.equal(connections, 0);
});

test('a 2xx whose body trickles past the deadline is a failed try, not a delivery', async () => {
  const deadlineMs = 1500;
  let closedAt = 0;
  const url = await listen(
    createServer((req, res) => {
      req.resume();
      res.writeHead(200);
      res.flushHeaders();
      const drip = setInterval(() => res.write('a'), 100);
      res.on('close', () => {
        clearInterval(drip);
        closedAt = Date.now();
      });
    }),
  );
  const { logs, enqueue } = open(true, deadlineMs);
  const id = await enqueue(url);
  const failed = await until('the try recorded', () => logged(logs, 'webhook not delivered; tried again later', id), deadlineMs + 5000);
  assert.match(String(failed.error), /no complete answer within 1.5 s/);
  assert.equal(logged(logs, 'webhook delivered', id), undefined);
  await until('the connection closed', () => closedAt || undefined, 5000);
});
