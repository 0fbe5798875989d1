/**
 * A small typed event emitter with no platform dependency (DESIGN principle 5: the engine emits, displays and
 * recorders subscribe). A listener that throws does not stop the others or the emitter; the error is reported to
 * the `onListenerError` hook.
 */
export type Listener<T> = (payload: T) => void;

export class TypedEmitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();
  onListenerError: (error: unknown, event: keyof Events) => void = (error, event) => {
    console.error(`listener for "${String(event)}" failed:`, error);
  };

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as Listener<Events[K]>)(payload);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }
}
