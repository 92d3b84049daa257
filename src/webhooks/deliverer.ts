// Webhook deliveries, as the Standard Webhooks specification asks: each event signed
// (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<HMAC-SHA256>`, with the standardwebhooks
// package), the same id at every try, success on 2xx only, redirects not followed, 410 ends it,
// anything else (or no answer within 10 s) tried again on the spec's example schedule. The
// deliveries are rows of the store, written with the result they announce: they survive restarts.
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import type { GradeResult } from '../grading/index.ts';
import type { Delivery, NewDelivery, StoredSubmission, SubmissionStore } from '../store/index.ts';
import { guardedLookup } from './targets.ts';

/** Delay before each try: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. */
export const SCHEDULE_MS = [0, 5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 504e5, 72e6, 864e5];
const ANSWER_TIMEOUT_MS = 10_000;
/** A due delivery is looked for at least this often, besides the kick a new one gives. */
const POLL_MS = 60_000;
const BATCH = 20;
/**
 * A taken delivery is another process's again after this, if the one that took it died before
 * recording its try: well past one POST's answer timeout.
 */
const LEASE_MS = 6 * ANSWER_TIMEOUT_MS;

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

export class WebhookDeliverer {
  private readonly store: SubmissionStore;
  private readonly signer: Webhook;
  private readonly allowInternal: boolean;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(store: SubmissionStore, secret: string, allowInternal: boolean, log: Logger) {
    this.store = store;
    this.signer = new Webhook(secret);
    this.allowInternal = allowInternal;
    this.log = log;
  }

  /** Delivers what is due now (a previous run's too), then whenever the next one falls due. */
  start(): void {
    this.kick();
  }

  /** Looks for due deliveries now: a result was just stored. */
  kick(): void {
    if (this.closed) return;
    if (this.running !== null) return;
    this.running = this.deliverDue()
      .catch((error: unknown) => this.log.error({ err: error }, 'webhook deliveries failed'))
      .finally(() => {
        this.running = null;
        this.schedule();
      });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
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

  private async deliverDue(): Promise<void> {
    for (;;) {
      const now = Date.now();
      const due = await this.store.takeDueDeliveries(new Date(now).toISOString(), new Date(now + LEASE_MS).toISOString(), BATCH);
      if (due.length === 0 || this.closed) return;
      await Promise.all(due.map((d) => this.deliver(d)));
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
  private post(delivery: Delivery): Promise<Answer> {
    const at = new Date();
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'memgrade-webhooks',
      'webhook-id': delivery.id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': this.signer.sign(delivery.id, at, delivery.payload),
    };
    const url = new URL(delivery.url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method: 'POST', headers, lookup: guardedLookup(this.allowInternal), timeout: ANSWER_TIMEOUT_MS }, (res) => {
        res.resume();
        const retryAfter = Number(res.headers['retry-after']);
        resolve({ status: res.statusCode ?? 0, retryAfterS: Number.isFinite(retryAfter) ? retryAfter : null });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end(delivery.payload);
    });
  }
}
