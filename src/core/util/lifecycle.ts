/** Something that holds resources and can release them; shaped like VS Code's `Disposable`. */
export interface Disposable {
  dispose(): void;
}

/** Wraps a function as a Disposable that runs it at most once. */
export function toDisposable(fn: () => void): Disposable {
  let done = false;
  return {
    dispose() {
      if (!done) {
        done = true;
        fn();
      }
    },
  };
}

/** Owns a set of disposables and releases them together. */
export class DisposableStore implements Disposable {
  private readonly items = new Set<Disposable>();
  private disposed = false;

  add<T extends Disposable>(item: T): T {
    if (this.disposed) item.dispose();
    else this.items.add(item);
    return item;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const item of this.items) item.dispose();
    this.items.clear();
  }
}

/** A typed event subscription function, shaped like `vscode.Event<T>`. */
export type Event<T> = (listener: (e: T) => unknown, thisArgs?: unknown) => Disposable;

/**
 * A minimal event emitter with the shape of `vscode.EventEmitter`, so core needs no `vscode`.
 * A listener that throws is reported through `onListenerError` and never stops the others:
 * event delivery runs on the socket read path and must not stall.
 */
export class Emitter<T> implements Disposable {
  /** Each subscription is its own entry, so one function subscribed twice is two subscriptions. */
  private listeners: Array<{ fn: (e: T) => unknown }> = [];
  private disposed = false;

  constructor(private readonly onListenerError: (err: unknown) => void = reportListenerError) {}

  readonly event: Event<T> = (listener, thisArgs) => {
    if (this.disposed) return toDisposable(() => undefined);
    const entry = { fn: thisArgs === undefined ? listener : listener.bind(thisArgs) };
    // Copy on write: firing iterates a snapshot, so (un)subscribing during fire is safe.
    this.listeners = [...this.listeners, entry];
    return toDisposable(() => {
      this.listeners = this.listeners.filter((l) => l !== entry);
    });
  };

  get hasListeners(): boolean {
    return this.listeners.length > 0;
  }

  fire(e: T): void {
    const snapshot = this.listeners;
    for (let i = 0; i < snapshot.length; i++) {
      try {
        const r = snapshot[i]!.fn(e);
        // An async listener's rejection is as much a listener error as a throw.
        if (r instanceof Promise) r.catch(this.onListenerError);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    this.listeners = [];
  }
}

function reportListenerError(err: unknown): void {
  // Surfaces on stderr without letting it unwind into the socket reader.
  queueMicrotask(() => {
    console.error('freeswitch-dev: event listener threw:', err);
  });
}
