/**
 * The switch's configuration as the recording machine had it (capture 19): the `default` dialplan
 * context and the user directory exactly as `xml_locate` returned them, and the application and
 * API lists of `show application|api as json`. The files in data/ are those bytes, taken from the
 * capture; the dialplan evaluates the same context it serves.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { childrenNamed, findChild, parseXml, type XmlElement } from './switchXml';

const DATA = join(__dirname, 'data');

/** One row of `show application|api as json`. */
export interface InterfaceRow {
  readonly name: string;
  readonly description: string;
  readonly syntax: string;
  readonly ikey: string;
}

let cache: { applications: InterfaceRow[]; apis: InterfaceRow[]; context: string; directory: string } | undefined;

function load(): NonNullable<typeof cache> {
  cache ??= {
    applications: JSON.parse(readFileSync(join(DATA, 'applications.json'), 'utf8')) as InterfaceRow[],
    apis: JSON.parse(readFileSync(join(DATA, 'apis.json'), 'utf8')) as InterfaceRow[],
    context: readFileSync(join(DATA, 'dialplan-default.xml'), 'utf8'),
    directory: readFileSync(join(DATA, 'directory.xml'), 'utf8'),
  };
  return cache;
}

/** The 146 applications of the recording machine, as `show application as json` lists them. */
export function applicationRows(): readonly InterfaceRow[] {
  return load().applications;
}

/** The 173 API commands of the recording machine, as `show api as json` lists them. */
export function apiRows(): readonly InterfaceRow[] {
  return load().apis;
}

/**
 * `xml_locate dialplan context name default`: the context as switch_xml_toxml writes it (no XML
 * declaration, `<condition …></condition>`), 36149 bytes.
 */
export function defaultContextXml(): string {
  return load().context;
}

/** `xml_locate directory`: the directory section, 24829 bytes (the `default_password` is x'ed). */
export function directoryXml(): string {
  return load().directory;
}

let parsedDirectory: XmlElement | undefined;

/** The parsed directory section (for `user_data`). */
export function directory(): XmlElement {
  parsedDirectory ??= parseXml(directoryXml());
  return parsedDirectory;
}

/**
 * `user_data(<user>@<domain> var|param|attr <name>)` (mod_commands): a user's variable, param or
 * attribute from the directory, the user's entry winning over its group's and the domain's; ''
 * when there is none.
 */
export function userData(user: string, domain: string, kind: string, name: string): string {
  const dom = findChild(directory(), 'domain', 'name', domain);
  if (!dom) return '';
  let userEl: XmlElement | undefined;
  let groupEl: XmlElement | undefined;
  const search = (parent: XmlElement | undefined): XmlElement | undefined =>
    parent?.children.find((c) => c.name === 'user' && c.attrs.get('id') === user);
  userEl = search(findChild(dom, 'users'));
  if (!userEl) {
    for (const group of findChild(dom, 'groups')?.children ?? []) {
      userEl = search(findChild(group, 'users'));
      if (userEl) {
        groupEl = group;
        break;
      }
    }
  }
  if (!userEl) return '';
  if (kind === 'attr') return userEl.attrs.get(name) ?? '';
  const section = kind === 'var' ? 'variables' : 'params';
  const item = kind === 'var' ? 'variable' : 'param';
  // switch_xml_locate_user_merged: the user's own entries first, then its group's, then the domain's.
  for (const holder of [userEl, groupEl, dom]) {
    const container = holder && findChild(holder, section);
    // The last entry of that name wins, as the loop in user_data_function keeps overwriting.
    const found = container && [...childrenNamed(container, item)].reverse().find((p) => p.attrs.get('name')?.toLowerCase() === name.toLowerCase());
    if (found) return found.attrs.get('value') ?? '';
  }
  return '';
}

/**
 * Source text of the element `xml_locate <section> <tag> <attr> <value>` finds, or undefined:
 * switch_xml_toxml of a child reproduces its slice of the section's text, whitespace and all.
 */
export function locate(section: string, tag?: string, attr?: string, value?: string): string | undefined {
  let source: string;
  if (section === 'directory') source = directoryXml();
  else if (section === 'dialplan') source = defaultContextXml();
  else return undefined;
  const root = parseXml(source);
  if (tag === undefined) return section === 'directory' ? source : undefined;
  // The dialplan section itself is not captured, only its default context.
  if (section === 'dialplan') return root.name === tag && attr !== undefined && root.attrs.get(attr) === value ? source : undefined;
  const found = findChild(root, tag, attr, value);
  return found ? source.slice(found.start, found.end) : undefined;
}
