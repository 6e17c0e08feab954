import type { Logger } from '../common/logger.js';

/**
 * A small typed event emitter. Unlike Node's EventEmitter, an `error` event with no listener
 * does not throw, and a listener that throws is logged with the event name instead of breaking
 * the emitter's own work.
 */
export class TypedEvents<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  constructor(
    private readonly log: Logger,
    private readonly owner: string,
  ) {}

  /** Register a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  /** Register a listener for the next emission only. */
  once<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
    const remove = this.on(event, (payload) => {
      remove();
      listener(payload);
    });
    return remove;
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as (payload: Events[K]) => void)(payload);
      } catch (error) {
        this.log.error({ err: error, owner: this.owner, event: String(event) }, 'event listener threw');
      }
    }
  }

  removeAll(): void {
    this.listeners.clear();
  }
}
