// Hearing of results another process stored: a connection of its own LISTENs on DONE_CHANNEL (a
// pooled connection goes back to the pool between queries, and a LISTEN is its connection's), and
// is opened again, with a backoff, whenever it drops. pg-boss keeps its notifier apart the same way.
import { Client, type ClientConfig } from 'pg';

/** Notified with a submission's id when its result is stored. */
export const DONE_CHANNEL = 'memgrade_done';

const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/**
 * Calls onDone(id) per notification, and onReconnect() once it listens again after its connection
 * dropped, since what was stored meanwhile was not heard. Resolves once it listens; answers a
 * function that stops it.
 */
export async function listenForDone(
  connection: ClientConfig,
  onDone: (id: string) => void,
  onReconnect: () => void,
): Promise<() => Promise<void>> {
  let stopped = false;
  let client: Client | null = null;
  let wake: (() => void) | null = null;
  let reconnecting: Promise<void> | null = null;

  const connect = async (): Promise<Client> => {
    const next = new Client({ ...connection, application_name: 'memgrade listen' });
    // A broken connection reports an error, then 'end', which reconnects. Unhandled, the error
    // would end the process.
    next.on('error', () => {});
    next.on('notification', (message) => {
      if (message.channel === DONE_CHANNEL && message.payload !== undefined) onDone(message.payload);
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${DONE_CHANNEL}`);
    } catch (error) {
      await next.end().catch(() => {});
      throw error;
    }
    next.once('end', () => {
      client = null;
      if (!stopped) reconnecting = reconnect().finally(() => (reconnecting = null));
    });
    return next;
  };

  const reconnect = async (): Promise<void> => {
    for (let delay = RECONNECT_FIRST_MS; !stopped; delay = Math.min(2 * delay, RECONNECT_MAX_MS)) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        timer.unref();
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
      if (stopped) return;
      let next: Client;
      try {
        next = await connect();
      } catch {
        continue;
      }
      if (stopped) {
        await next.end().catch(() => {});
        return;
      }
      client = next;
      onReconnect();
      return;
    }
  };

  client = await connect();
  return async () => {
    if (stopped) return;
    stopped = true;
    wake?.();
    await reconnecting;
    await client?.end().catch(() => {});
  };
}
