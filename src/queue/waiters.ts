// The requests waiting for submissions to be done (Prefer: wait, the progress stream), as both
// queues keep them: each is woken when its submission is, at its deadline, or when the queue
// closes, whichever is first.
export class Waiters {
  private readonly byId = new Map<string, Set<() => void>>();

  /** Resolves at wake(id), at wakeAll(), or after `ms`. */
  wait(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.byId.get(id) ?? new Set();
      this.byId.set(id, set);
      const wake = () => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0) this.byId.delete(id);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
    });
  }

  wake(id: string): void {
    for (const wake of [...(this.byId.get(id) ?? [])]) wake();
  }

  wakeAll(): void {
    for (const id of [...this.byId.keys()]) this.wake(id);
  }

  /** The submissions waited for now. */
  ids(): string[] {
    return [...this.byId.keys()];
  }
}
