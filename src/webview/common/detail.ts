import './detail.css';
import { splitInvisible } from '../../shared/eventSummary';
import { formatCount, h } from './dom';

/** Longest header value shown in full; Copy as JSON has everything. */
export const DETAIL_VALUE_LIMIT = 4000;

const UUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g;

/** Text as nodes, invisible and bidi-control characters shown as marks. */
function marked(text: string): Node[] {
  return splitInvisible(text).map((p) => (p.invisible ? h('span', { class: 'invisible', title: 'invisible character' }, p.text) : document.createTextNode(p.text)));
}

/** Cuts `text` at the limit; the note says how much more there is. */
function cut(text: string): { shown: string; more: Node[] } {
  if (text.length <= DETAIL_VALUE_LIMIT) return { shown: text, more: [] };
  return {
    shown: text.slice(0, DETAIL_VALUE_LIMIT),
    more: [h('span', { class: 'muted' }, ` … ${formatCount(text.length - DETAIL_VALUE_LIMIT)} more characters (Copy as JSON has them all)`)],
  };
}

/** Text as nodes, with invisible and bidi-control characters shown as marks and long values cut. */
export function visibleText(text: string): Node[] {
  const { shown, more } = cut(text);
  return [...marked(shown), ...more];
}

/** A header value: like visibleText, and every uuid in it is kept on one line (it wraps as a whole). */
export function valueText(text: string): Node[] {
  const { shown, more } = cut(text);
  const nodes: Node[] = [];
  let last = 0;
  for (const m of shown.matchAll(UUID)) {
    const i = m.index ?? 0;
    if (i > last) nodes.push(...marked(shown.slice(last, i)));
    nodes.push(h('span', { class: 'uuid' }, m[0]));
    last = i + m[0].length;
  }
  if (last < shown.length) nodes.push(...marked(shown.slice(last)));
  return [...nodes, ...more];
}

/** A header name, allowed to wrap after its `_` and `-` (variable_sip_h_X-Long-Name) rather than anywhere. */
export function nameText(name: string): Node[] {
  const nodes: Node[] = [];
  for (const node of visibleText(name)) {
    if (node.nodeType !== Node.TEXT_NODE) {
      nodes.push(node);
      continue;
    }
    const parts = (node.textContent ?? '').split(/(?<=[_-])/);
    parts.forEach((part, i) => {
      if (i > 0) nodes.push(h('wbr'));
      nodes.push(document.createTextNode(part));
    });
  }
  return nodes;
}

/**
 * Every header of an event as a two-column table, then the body. The name column is capped so the
 * values get the room; values wrap at spaces, uuids stay whole; a narrow pane stacks each name
 * above its value (detail.css).
 */
export function headerTable(headers: ReadonlyArray<readonly [string, string]>, body: string): Node[] {
  const table = h(
    'table',
    { class: 'headers' },
    h('colgroup', {}, h('col', { class: 'c-hname' }), h('col', { class: 'c-hvalue' })),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Header'), h('th', { scope: 'col' }, 'Value'))),
  );
  const tbody = h('tbody');
  for (const [name, value] of headers) tbody.append(h('tr', {}, h('th', { scope: 'row', class: 'hname' }, ...nameText(name)), h('td', { class: 'hvalue' }, ...valueText(value))));
  table.append(tbody);
  const parts: Node[] = [h('div', { class: 'headers-box' }, table)];
  if (body !== '') parts.push(h('div', { class: 'body-title' }, 'Body'), h('pre', { class: 'event-body' }, ...visibleText(body)));
  return parts;
}
