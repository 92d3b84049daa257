// A promise-based client for an isolate's inspector session. Only the host drives it; no
// session ever reaches a user.
//
// isolated-vm 5.0.4 can lose a message sent right after a pause: the isolate announces the
// pause, then enters its message loop and waits without first looking at what was queued, so
// a message that arrives in between waits until the next one. While answers are due, the
// client therefore sends a harmless request every few milliseconds to wake the loop.
import type ivmModule from 'isolated-vm';

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

const NUDGE_MS = 5;

export class InspectorClient {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private listeners = new Map<string, (params: unknown) => void>();
  private nudge: NodeJS.Timeout | null = null;
  private closed = false;

  private readonly session: ivmModule.InspectorSession;

  constructor(session: ivmModule.InspectorSession) {
    this.session = session;
    session.onResponse = (callId, message) => {
      const waiting = this.pending.get(callId);
      if (!waiting) return;
      this.pending.delete(callId);
      const parsed = JSON.parse(message) as { result?: unknown; error?: { message: string } };
      if (parsed.error) waiting.reject(new Error(parsed.error.message));
      else waiting.resolve(parsed.result);
    };
    session.onNotification = (message) => {
      const { method, params } = JSON.parse(message) as { method: string; params: unknown };
      this.listeners.get(method)?.(params);
    };
  }

  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    if (this.closed) return Promise.reject(new Error('inspector session closed'));
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.session.dispatchProtocolMessage(JSON.stringify({ id, method, params }));
      this.nudge ??= setInterval(() => this.wake(), NUDGE_MS);
    });
  }

  private wake(): void {
    if (this.pending.size === 0) {
      if (this.nudge) clearInterval(this.nudge);
      this.nudge = null;
      return;
    }
    // Its answer carries an id nobody waits for, and is dropped.
    this.session.dispatchProtocolMessage(JSON.stringify({ id: this.nextId++, method: 'Runtime.getIsolateId' }));
  }

  on(method: string, listener: (params: unknown) => void): void {
    this.listeners.set(method, listener);
  }

  /** Stops talking to the session and fails what is still waiting. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.nudge) clearInterval(this.nudge);
    this.nudge = null;
    for (const waiting of this.pending.values()) waiting.reject(new Error('inspector session closed'));
    this.pending.clear();
  }

  /**
   * Closes and disconnects the session. The disconnection is a task queued on the isolate:
   * the caller lets the isolate run it (any task will do) before disposing the isolate, or
   * it runs later on freed memory (seen here as SIGSEGV).
   */
  disconnect(): void {
    this.close();
    this.session.dispose();
  }
}
