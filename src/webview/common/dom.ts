/**
 * DOM helpers for the webviews. Text goes in through textContent only: nothing here (or anywhere
 * in src/webview) assigns innerHTML, so event data can never become markup.
 */

type Attrs = Record<string, string | number | boolean | undefined>;
type Child = Node | string | undefined | null | false;

/** Creates an element with attributes and children; strings become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name === 'class') el.className = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const c of children) if (c !== undefined && c !== null && c !== false) el.append(c);
  return el;
}

/** A codicon (the font ships with the webview bundle). */
export function icon(name: string): HTMLSpanElement {
  return h('span', { class: `codicon codicon-${name}`, 'aria-hidden': 'true' });
}

/** A toolbar button with a codicon and a label (shown or as tooltip). */
export function button(iconName: string, label: string, opts: { showLabel?: boolean; id?: string } = {}): HTMLButtonElement {
  return h('button', { type: 'button', class: 'tb-button', title: label, 'aria-label': label, id: opts.id }, icon(iconName), opts.showLabel ? h('span', { class: 'label' }, label) : undefined);
}

/** `HH:MM:SS.mmm` local time of a µs timestamp. */
export function formatTime(us: number): string {
  if (!us) return '--:--:--.---';
  const d = new Date(Math.floor(us / 1000));
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

const COUNT = new Intl.NumberFormat('en-US');

/** `12,345`. */
export function formatCount(n: number): string {
  return COUNT.format(n);
}
