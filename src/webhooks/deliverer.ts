// Webhook deliveries, as the Standard Webhooks specification asks: each event signed
// (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<HMAC-SHA256>`, with the standardwebhooks
// package), the same id at every try, success on 2xx only, redirects not followed, 410 ends it,
// anything else (or no whole answer by the deadline) tried again on the spec's example schedule.
// The deliveries are rows of the store, written with the result they announce: they survive
// restarts. Each is its own exchange with a hard deadline, so a receiver that answers slowly,
// or never stops answering, costs one slot for at most that long and delays no other delivery.
import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import type { GradeResult } from '../grading/index.ts';
import type { Delivery, NewDelivery, StoredSubmission, SubmissionStore } from '../store/index.ts';
import { guardedLookup, hostOf, refusedAddress } from './targets.ts';

/** Delay before each try: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. */
export const SCHEDULE_MS = [0, 5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 504e5, 72e6, 864e5];
/**
 * The whole exchange (lookup, connect, send, the answer's status and what is read of its body)
 * ends by then: an idle timeout would let a receiver trickling a byte now and then hold on forever.
 */
const DEADLINE_MS = 10_000;
/**
 * Only the status counts; the body is read up to this much, so that an ordinary answer ends
 * cleanly, and the connection is closed past it (a receiver once streamed 200 MiB).
 */
const ANSWER_BODY_CAP = 64 * 1024;
/** Deliveries in flight at once. Each ends by its deadline, so a slot is free again by then. */
const CONCURRENCY = 32;
/** A due delivery is looked for at least this often, besides the kick a new one gives. */
const POLL_MS = 60_000;
/**
 * A taken delivery is another process's again after this, if the one that took it died before
 * recording its try: well past a delivery's deadline, which starts as soon as it is taken.
 */
const LEASE_MS = 6 * DEADLINE_MS;

/** The event a done submission sends to its callback_url. Small: links lead to the full result. */
export function submissionDoneDelivery(submission: StoredSubmission, result: GradeResult, url: string): NewDelivery {
  const self = `/v1/submissions/${encodeURIComponent(submission.id)}`;
  const payload = {
    type: 'submission.done',
    timestamp: new Date().toISOString(),
    data: {
      id: submission.id,
      assignment: submission.assignment,
      student: submission.student,
      status: result.status,
      reason: result.reason,
      score: result.score,
      max_score: result.max_score,
      peak_bytes: result.peak_bytes,
      links: { self, report: `${self}/report` },
    },
  };
  return { id: `msg_${randomUUID()}`, submissionId: submission.id, url, payload: JSON.stringify(payload) };
}

interface Answer {
  status: number;
  retryAfterS: number | null;
}

interface DelivererOptions {
  /** DEADLINE_MS unless given (tests shorten it); must be shorter than the lease. */
  deadlineMs?: number;
}

export class WebhookDeliverer {
  private readonly store: SubmissionStore;
  private readonly signer: Webhook;
  private readonly allowInternal: boolean;
  private readonly log: Logger;
  private readonly deadlineMs: number;
  private timer: NodeJS.Timeout | null = null;
  /** Taking due deliveries from the store: one take at a time, so two never fill the same slots. */
  private taking: Promise<void> | null = null;
  /** A kick came during a take: rows may have been stored after its query. */
  private takeAgain = false;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(store: SubmissionStore, secret: string, allowInternal: boolean, log: Logger, options: DelivererOptions = {}) {
    this.store = store;
    this.signer = new Webhook(secret);
    this.allowInternal = allowInternal;
    this.log = log;
    this.deadlineMs = options.deadlineMs ?? DEADLINE_MS;
    if (!(this.deadlineMs > 0 && this.deadlineMs < LEASE_MS)) throw new RangeError(`a delivery's deadline must be shorter than its lease (${LEASE_MS} ms)`);
  }

  /** Delivers what is due now (a previous run's too), then whenever the next one falls due. */
  start(): void {
    this.kick();
  }

  /** Looks for due deliveries now: a result was just stored, or a slot is free again. */
  kick(): void {
    if (this.closed) return;
    if (this.taking !== null) {
      this.takeAgain = true;
      return;
    }
    this.taking = this.take()
      .catch((error: unknown) => this.log.error({ err: error }, 'could not take due webhook deliveries'))
      .finally(() => {
        this.taking = null;
        if (this.takeAgain) {
          this.takeAgain = false;
          this.kick();
        } else {
          this.schedule();
        }
      });
  }

  /** Stops taking deliveries; the ones in flight end by their deadline and are recorded. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.taking;
    await Promise.all(this.inFlight);
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.store.nextDeliveryAt().then(
      (next) => {
        if (this.closed) return;
        const wait = next === null ? POLL_MS : Math.min(POLL_MS, Math.max(0, Date.parse(next) - Date.now()));
        this.timer = setTimeout(() => this.kick(), wait);
        this.timer.unref();
      },
      (error: unknown) => {
        this.log.error({ err: error }, 'could not read when the next webhook is due');
        this.timer = setTimeout(() => this.kick(), POLL_MS);
        this.timer.unref();
      },
    );
  }

  /**
   * Takes no more due deliveries than there are free slots, and starts each at once: its lease
   * runs from the take, and its deadline ends well before the lease does.
   */
  private async take(): Promise<void> {
    while (!this.closed && this.inFlight.size < CONCURRENCY) {
      const free = CONCURRENCY - this.inFlight.size;
      const now = Date.now();
      const due = await this.store.takeDueDeliveries(new Date(now).toISOString(), new Date(now + LEASE_MS).toISOString(), free);
      for (const delivery of due) {
        const done: Promise<void> = this.deliver(delivery)
          .catch((error: unknown) => this.log.error({ err: error, webhook_id: delivery.id }, 'could not record a webhook try'))
          .finally(() => {
            this.inFlight.delete(done);
            this.kick();
          });
        this.inFlight.add(done);
      }
      if (due.length < free) return;
    }
  }

  private async deliver(delivery: Delivery): Promise<void> {
    const attempts = delivery.attempts + 1;
    const log = this.log.child({ submission_id: delivery.submissionId, webhook_id: delivery.id, attempt: attempts });
    let answer: Answer | null = null;
    let error: string | null = null;
    try {
      answer = await this.post(delivery);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const base = { attempts, lastStatus: answer?.status ?? null, lastError: error };
    if (answer !== null && answer.status >= 200 && answer.status < 300) {
      await this.store.updateDelivery(delivery.id, { ...base, status: 'delivered', nextAttemptAt: delivery.nextAttemptAt });
      log.info({ status: answer.status }, 'webhook delivered');
      return;
    }
    if (answer?.status === 410) {
      await this.store.updateDelivery(delivery.id, { ...base, status: 'gone', nextAttemptAt: delivery.nextAttemptAt });
      log.warn('webhook target answered 410: no more tries');
      return;
    }
    if (attempts >= SCHEDULE_MS.length) {
      await this.store.updateDelivery(delivery.id, { ...base, status: 'failed', nextAttemptAt: delivery.nextAttemptAt });
      log.warn({ status: answer?.status, error }, 'webhook failed at every try: given up');
      return;
    }
    const delay = Math.max(SCHEDULE_MS[attempts], Math.min((answer?.retryAfterS ?? 0) * 1000, SCHEDULE_MS[SCHEDULE_MS.length - 1]));
    await this.store.updateDelivery(delivery.id, { ...base, status: 'pending', nextAttemptAt: new Date(Date.now() + delay).toISOString() });
    log.warn({ status: answer?.status, error, retry_in_ms: delay }, 'webhook not delivered; tried again later');
  }

  /** One signed POST; redirects are answers like any other, and are not followed. */
  private async post(delivery: Delivery): Promise<Answer> {
    const at = new Date();
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'memgrade-webhooks',
      'webhook-id': delivery.id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': this.signer.sign(delivery.id, at, delivery.payload),
    };
    const url = new URL(delivery.url);
    // A host given as an address is never looked up, so guardedLookup would not see it.
    const host = hostOf(url);
    const range = this.allowInternal || isIP(host) === 0 ? null : refusedAddress(host);
    if (range !== null) throw new Error(`${host} is in ${range}`);
    const deadline = AbortSignal.timeout(this.deadlineMs);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    // Its own connection, closed when the answer is read: nothing of a receiver outlives its delivery.
    const req = send(url, { method: 'POST', headers, agent: false, lookup: guardedLookup(this.allowInternal), signal: deadline });
    try {
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        req.on('response', resolve);
        // Kept for the request's whole life: an abort while the body is read emits one more.
        req.on('error', reject);
        req.end(delivery.payload);
      });
      let read = 0;
      for await (const chunk of res) {
        read += (chunk as Buffer).length;
        if (read >= ANSWER_BODY_CAP) break;
      }
      const retryAfter = Number(res.headers['retry-after']);
      return { status: res.statusCode ?? 0, retryAfterS: Number.isFinite(retryAfter) ? retryAfter : null };
    } catch (error) {
      if (deadline.aborted) throw new Error(`no complete answer within ${this.deadlineMs / 1000} s`, { cause: error });
      throw error;
    } finally {
      req.destroy();
    }
  }
}
