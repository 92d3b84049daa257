// A promise-based client for an isolate's inspector session. Only the host drives it; no
// session ever reaches a user.
//
// Three defects of isolated-vm 7.0.1 shape it (each seen here; bench/inspector-defects.ts
// shows them on the bare API):
// - A message sent just as the isolate pauses can be lost until the next one arrives (one run
//   of 2,000 pauses in six hung). While answers are due, the client sends a harmless request
//   every few milliseconds to wake the isolate's message loop.
// - A message dispatched after isolated-vm has disposed the isolate (its memory limit) fails an
//   assertion and aborts the process. So nothing is sent while the isolate runs: requests go out
//   only while it is paused, or once its run has ended, and a run that ended in disposal leaves
//   the session alone (`abandon`).
// - Disposing an isolate that still has a session, or a session with messages not yet taken
//   by the isolate, can crash ("pure virtual method called") or leave a thread stuck. `drain`
//   makes sure the isolate has taken every message before the session is disposed.
import type ivmModule from 'isolated-vm';

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
/** request: answered and awaited; post: answered, not awaited; nudge: a wake-up. */
type Kind = 'request' | 'post' | 'nudge';

const NUDGE_MS = 5;

export class InspectorClient {
  private readonly session: ivmModule.InspectorSession;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Messages dispatched and not answered yet (but `Runtime.terminateExecution`, see drain). */
  private readonly unanswered = new Map<number, Kind>();
  private readonly listeners = new Map<string, (params: unknown) => void>();
  private nudge: NodeJS.Timeout | null = null;
  private draining = false;
  private closed = false;
  /** Between Debugger.paused and Debugger.resumed: the isolate runs no JS and cannot be disposed. */
  private paused = false;

  constructor(session: ivmModule.InspectorSession) {
    this.session = session;
    session.onResponse = (callId, message) => {
      this.unanswered.delete(callId);
      const waiting = this.pending.get(callId);
      if (!waiting) return;
      this.pending.delete(callId);
      const parsed = JSON.parse(message) as { result?: unknown; error?: { message: string } };
      if (parsed.error) waiting.reject(new Error(parsed.error.message));
      else waiting.resolve(parsed.result);
    };
    session.onNotification = (message) => {
      const { method, params } = JSON.parse(message) as { method: string; params: unknown };
      if (method === 'Debugger.paused') this.paused = true;
      if (method === 'Debugger.resumed') this.paused = false;
      this.listeners.get(method)?.(params);
    };
  }

  /** A request whose answer is awaited: only while the isolate is paused or idle. */
  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    if (this.closed) return Promise.reject(new Error('inspector session closed'));
    return new Promise<T>((resolve, reject) => {
      this.pending.set(this.dispatch(method, params, 'request'), { resolve: resolve as (value: unknown) => void, reject });
      // A wake-up right behind it: a request that arrives just as the isolate pauses is then
      // not left waiting for the next timer tick (5 ms, against about 1 ms for a whole read).
      this.dispatch('Runtime.getIsolateId', {}, 'nudge');
      this.nudge ??= setInterval(() => this.wake(), NUDGE_MS);
    });
  }

  /**
   * A message whose answer nobody waits for (`Debugger.resume`). Wake-ups follow it only while
   * the isolate is paused or the run is over: a running isolate may be disposed by isolated-vm
   * at any moment.
   */
  post(method: string): void {
    if (this.closed) return;
    this.dispatch(method, {}, 'post');
    this.nudge ??= setInterval(() => this.wake(), NUDGE_MS);
  }

  /** Asks V8 to end the running script; V8 answers only once it has ended one. */
  terminate(): void {
    if (this.closed) return;
    this.session.dispatchProtocolMessage(JSON.stringify({ id: this.nextId++, method: 'Runtime.terminateExecution', params: {} }));
  }

  on(method: string, listener: (params: unknown) => void): void {
    this.listeners.set(method, listener);
  }

  off(method: string): void {
    this.listeners.delete(method);
  }

  /**
   * Once the run is over: resolves true when the isolate has taken every message dispatched so
   * far, false after `timeoutMs`. Messages are taken in order, so one more answered request
   * proves a terminateExecution before it was taken too.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.closed) return false;
    this.draining = true;
    const marker = this.send('Runtime.getIsolateId').catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    while (this.unanswered.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
    void marker;
    return this.unanswered.size === 0;
  }
  /** Stops talking to the session, fails what is still waiting, and leaves the session as it is. */
  abandon(): void {
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
    this.abandon();
    this.session.dispose();
  }

  private dispatch(method: string, params: Record<string, unknown>, kind: Kind): number {
    const id = this.nextId++;
    this.unanswered.set(id, kind);
    this.session.dispatchProtocolMessage(JSON.stringify({ id, method, params }));
    return id;
  }

  /**
   * Wakes the isolate's message loop while an awaited request (or, once the run is over, any
   * message) is unanswered. Wake-ups alone do not keep it going, so that none is left in flight
   * when the session is disposed.
   */
  private wake(): void {
    const due = [...this.unanswered.values()].some(
      (kind) => kind === 'request' || (kind === 'post' && (this.paused || this.draining)),
    );
    if (this.closed || !due) {
      if (this.nudge) clearInterval(this.nudge);
      this.nudge = null;
      return;
    }
    // Its answer carries an id nobody waits for, and is dropped.
    this.dispatch('Runtime.getIsolateId', {}, 'nudge');
  }
}
