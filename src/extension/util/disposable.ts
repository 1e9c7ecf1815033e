import type * as vscode from 'vscode';

/** Base for everything that owns resources: what it `_register`s is disposed with it. */
export abstract class Disposable implements vscode.Disposable {
  private readonly owned: vscode.Disposable[] = [];
  private disposed = false;

  protected get isDisposed(): boolean {
    return this.disposed;
  }

  protected _register<T extends vscode.Disposable>(item: T): T {
    if (this.disposed) item.dispose();
    else this.owned.push(item);
    return item;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Reverse order: later resources may depend on earlier ones.
    for (const item of this.owned.reverse()) {
      try {
        item.dispose();
      } catch (err) {
        console.error('freeswitch-dev: dispose failed:', err);
      }
    }
    this.owned.length = 0;
  }
}
