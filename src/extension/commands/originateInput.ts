import { UnsafeInputError, type OriginateOptions } from '../../core';

// Pure parsing for the Originate Call flow (no vscode), so it is unit-tested directly.

/** Profiles and gateways from `sofia status` (tab-separated rows: name, type, data, state). */
export function parseSofiaStatus(text: string): { profiles: string[]; gateways: string[] } {
  const profiles: string[] = [];
  const gateways: string[] = [];
  for (const line of text.split('\n')) {
    const cols = line.split('\t').map((c) => c.trim());
    if (cols.length < 3) continue;
    if (cols[1] === 'profile' && cols[0] && !profiles.includes(cols[0])) profiles.push(cols[0]);
    if (cols[1] === 'gateway' && cols[0]) gateways.push(cols[0].includes('::') ? cols[0].split('::')[1]! : cols[0]);
  }
  return { profiles, gateways };
}

/** Parses `name=value, name2=value2` into channel variables. */
export function parseVariables(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const part of text.split(/\s*;\s*|\s*,\s*(?=[A-Za-z_][\w.\-:]*=)/)) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UnsafeInputError(`"${part}" is not name=value`);
    vars[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return vars;
}

/** Parses `Name <number>`, `<number>` or `Name` into caller id options. */
export function parseCallerId(text: string): Pick<OriginateOptions, 'callerIdName' | 'callerIdNumber'> {
  const m = /^(.*?)\s*<([^>]*)>\s*$/.exec(text);
  const out: Pick<OriginateOptions, 'callerIdName' | 'callerIdNumber'> = {};
  const name = (m ? m[1]! : /^[\d+*#]+$/.test(text) ? '' : text).trim();
  const number = (m ? m[2]! : /^[\d+*#]+$/.test(text) ? text : '').trim();
  if (name) out.callerIdName = name;
  if (number) out.callerIdNumber = number;
  return out;
}

