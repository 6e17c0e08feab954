import type { Logger } from '../common/logger.js';

type Listener<T> = (payload: T) => void;

/** Typed listener registry; a listener that throws is logged with its event name and the others still run. */
export class Listeners<Events extends object> {
  private readonly byEvent = new Map<keyof Events, Set<Listener<never>>>();

  constructor(private readonly logger: Logger) {}

  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    let set = this.byEvent.get(event);
    if (set === undefined) {
      set = new Set();
      this.byEvent.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => {
      set.delete(listener as Listener<never>);
    };
  }

  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    const set = this.byEvent.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<Events[E]>)(payload);
      } catch (error) {
        this.logger.error({ err: error, event: String(event) }, 'camera event listener failed');
      }
    }
  }

  clear(): void {
    this.byEvent.clear();
  }
}
