// Which rows of a VS Code TreeView to refresh, decided from what VS Code was last given. No vscode:
// the rules are unit-tested. Why these rules, from how VS Code's TreeView behaves: see the Extension
// section of docs/architecture.md.

/** What one row shows, split by what changes it. */
export interface RowLook {
  /** Everything on the row (and in its tooltip) that events change; equal strings draw the same row. */
  readonly content: string;
  /** The part that changes with time alone (a call's age), '' for none. */
  readonly clock: string;
}

/** The live model, read by the planner. Node objects must be stable: one object per row. */
export interface PlannerModel<T> {
  /** The rows under `parent` (the top-level rows for undefined) as getChildren returns them now. */
  children(parent: T | undefined): readonly T[];
  /** What the row would show now. */
  look(node: T, now: number): RowLook;
}

export type RefreshPlan<T> = { readonly kind: 'none' } | { readonly kind: 'root' } | { readonly kind: 'rows'; readonly rows: readonly T[] };

export interface PlannerOptions {
  /**
   * A tooltip resolved on hover is kept by VS Code until the row is refreshed. A collapsed row whose
   * tooltip was resolved this long ago is refreshed once, so the next hover computes it afresh.
   */
  tooltipTtlMs?: number;
}

const TOP: unique symbol = Symbol('top-level rows');
type Parent<T> = T | typeof TOP;

const sameRows = <T>(a: readonly T[], b: readonly T[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Tracks what VS Code has (the rows it asked getTreeItem for, the children it asked getChildren for,
 * which rows are expanded) and plans the smallest refresh that brings it up to date:
 *
 * - the top-level rows changed (servers added or removed): the whole tree;
 * - a row whose children VS Code has fetched got other children (a call added, ended or merged):
 *   that row, so VS Code fetches them again;
 * - a row whose content changed: that row;
 * - a row whose clock changed (a call's age), or whose hover tooltip went stale: that row, only
 *   while it is collapsed, because refreshing an expanded row makes VS Code fetch its children again;
 * - no row below another refreshed row, since VS Code refreshes a row's whole subtree.
 */
export class RefreshPlanner<T extends object> {
  private readonly shown = new Map<T, RowLook>();
  private readonly parents = new Map<T, Parent<T>>();
  private readonly fetched = new Map<Parent<T>, readonly T[]>();
  private readonly expanded = new WeakMap<T, boolean>();
  private readonly resolvedAt = new Map<T, number>();
  /** Refreshed rows VS Code is expected to fetch the children of, with when they were refreshed. */
  private readonly awaiting = new Map<T, number>();
  private readonly tooltipTtlMs: number;

  constructor(
    private readonly model: PlannerModel<T>,
    options: PlannerOptions = {},
  ) {
    this.tooltipTtlMs = options.tooltipTtlMs ?? 30_000;
  }

  /** VS Code asked for the children of `parent`: it is expanded, and these are its rows now. */
  noteChildren(parent: T | undefined, children: readonly T[]): void {
    const key: Parent<T> = parent ?? TOP;
    const before = this.fetched.get(key);
    if (before) for (const old of before) if (!children.includes(old) && this.parents.get(old) === key) this.forget(old);
    this.fetched.set(key, [...children]);
    for (const child of children) this.parents.set(child, key);
    if (parent) {
      this.expanded.set(parent, true);
      this.awaiting.delete(parent);
    }
  }

  /** VS Code asked for the row itself (getTreeItem); `expandedByDefault` as its collapsible state says. */
  noteItem(node: T, look: RowLook, expandedByDefault: boolean): void {
    this.shown.set(node, look);
    if (!this.expanded.has(node)) this.expanded.set(node, expandedByDefault);
    this.resolvedAt.delete(node);
  }

  /** The user expanded or collapsed the row (TreeView.onDidExpandElement / onDidCollapseElement). */
  noteExpanded(node: T, expanded: boolean): void {
    this.expanded.set(node, expanded);
    if (!expanded) this.awaiting.delete(node);
  }

  /** VS Code resolved the row's tooltip on hover (resolveTreeItem). */
  noteResolved(node: T, at: number): void {
    if (this.shown.has(node)) this.resolvedAt.set(node, at);
  }

  isExpanded(node: T): boolean {
    return this.expanded.get(node) ?? false;
  }

  /** Whether any row shown has a clock, so a timer should keep planning. */
  get ticking(): boolean {
    for (const look of this.shown.values()) if (look.clock !== '') return true;
    return this.resolvedAt.size > 0;
  }

  /**
   * Whether VS Code has yet to fetch the children of a row refreshed less than `maxWaitMs` ago, i.e.
   * it is still applying the last refresh: the next one waits rather than queue behind it.
   */
  awaitingFetch(now: number, maxWaitMs: number): boolean {
    for (const [node, at] of this.awaiting) {
      if (now - at < maxWaitMs) return true;
      this.awaiting.delete(node);
    }
    return false;
  }

  /** Whether VS Code is expected to fetch this row's children (it was refreshed while expanded). */
  awaits(node: T): boolean {
    return this.awaiting.has(node);
  }

  plan(now: number): RefreshPlan<T> {
    const top = this.fetched.get(TOP);
    if (top && !sameRows(top, this.model.children(undefined))) return { kind: 'root' };
    const marked = new Set<T>();
    for (const [parent, rows] of this.fetched) {
      if (parent !== TOP && !sameRows(rows, this.model.children(parent))) marked.add(parent);
    }
    for (const [node, was] of this.shown) {
      if (marked.has(node)) continue;
      const look = this.model.look(node, now);
      if (look.content !== was.content) marked.add(node);
      else if (!this.isExpanded(node)) {
        const resolved = this.resolvedAt.get(node);
        if (look.clock !== was.clock || (resolved !== undefined && now - resolved >= this.tooltipTtlMs)) marked.add(node);
      }
    }
    const rows = [...marked].filter((node) => !this.hasMarkedAncestor(node, marked));
    return rows.length ? { kind: 'rows', rows } : { kind: 'none' };
  }

  /**
   * The plan was fired. VS Code forgets the children of every refreshed row (and all rows for the
   * whole tree) until it fetches them again, so the planner does too; expanded rows will be fetched.
   */
  fired(plan: RefreshPlan<T>, now: number): void {
    if (plan.kind === 'none') return;
    if (plan.kind === 'root') {
      this.shown.clear();
      this.parents.clear();
      this.fetched.clear();
      this.resolvedAt.clear();
      this.awaiting.clear();
      return;
    }
    for (const row of plan.rows) {
      // VS Code asks for the row again at once (getTreeItem); until it has, it counts as shown.
      if (this.shown.has(row)) this.shown.set(row, this.model.look(row, now));
      this.forgetChildren(row);
      this.resolvedAt.delete(row);
      if (this.isExpanded(row)) this.awaiting.set(row, now);
    }
  }

  private hasMarkedAncestor(node: T, marked: ReadonlySet<T>): boolean {
    for (let p = this.parents.get(node); p !== undefined && p !== TOP; p = this.parents.get(p)) if (marked.has(p)) return true;
    return false;
  }

  private forgetChildren(node: T): void {
    const children = this.fetched.get(node);
    this.fetched.delete(node);
    for (const child of children ?? []) if (this.parents.get(child) === node) this.forget(child);
  }

  private forget(node: T): void {
    this.forgetChildren(node);
    this.shown.delete(node);
    this.parents.delete(node);
    this.resolvedAt.delete(node);
    this.awaiting.delete(node);
  }
}
