import { splitInvisible } from '../../shared/eventSummary';
import { formatCount, h } from './dom';

/** Longest header value shown in full; Copy as JSON has everything. */
export const DETAIL_VALUE_LIMIT = 4000;

/** Text as nodes, with invisible and bidi-control characters shown as marks and long values cut. */
export function visibleText(text: string): Node[] {
  const cut = text.length > DETAIL_VALUE_LIMIT;
  const shown = cut ? text.slice(0, DETAIL_VALUE_LIMIT) : text;
  const nodes: Node[] = splitInvisible(shown).map((p) => (p.invisible ? h('span', { class: 'invisible', title: 'invisible character' }, p.text) : document.createTextNode(p.text)));
  if (cut) nodes.push(h('span', { class: 'muted' }, ` … ${formatCount(text.length - DETAIL_VALUE_LIMIT)} more characters (Copy as JSON has them all)`));
  return nodes;
}

/** Every header of an event as a two-column table, then the body. */
export function headerTable(headers: ReadonlyArray<readonly [string, string]>, body: string): Node[] {
  const table = h('table', { class: 'headers' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Header'), h('th', { scope: 'col' }, 'Value'))));
  const tbody = h('tbody');
  for (const [name, value] of headers) tbody.append(h('tr', {}, h('th', { scope: 'row', class: 'hname' }, ...visibleText(name)), h('td', { class: 'hvalue' }, ...visibleText(value))));
  table.append(tbody);
  const parts: Node[] = [table];
  if (body !== '') parts.push(h('div', { class: 'body-title' }, 'Body'), h('pre', { class: 'event-body' }, ...visibleText(body)));
  return parts;
}
