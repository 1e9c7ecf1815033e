// Pure (no vscode): the shape of `freeswitch.servers` entries and their validation.

/** One entry of `freeswitch.servers`. The password is never here: it lives in SecretStorage. */
export interface ServerConfig {
  name: string;
  host: string;
  port: number;
  /** ESL user for `userauth`; plain `auth` when absent. */
  user?: string;
  /**
   * An environment variable of the extension host holding the password, for CI and throwaway
   * setups (`npm start` uses it). Otherwise the password lives in SecretStorage.
   */
  passwordEnv?: string;
  /**
   * The server group it belongs to: the Servers tree shows it under that group's row, and group
   * commands (Run API Command on Group, Hang Up All Calls on Group, Load Test) act on its members.
   */
  group?: string;
}

/** Longest group name kept: it is a tree row's label, not a document. */
export const MAX_GROUP_NAME = 64;

/** Settings are user-edited JSON: keep the valid entries, drop the rest rather than fail. */
export function normaliseServers(value: unknown): ServerConfig[] {
  return readEntries(value).map((e) => e.server);
}

/** Each valid entry with its index in the setting's array, so an edit can find what was written. */
function readEntries(value: unknown): { index: number; server: ServerConfig }[] {
  if (!Array.isArray(value)) return [];
  const out: { index: number; server: ServerConfig }[] = [];
  const names = new Set<string>();
  for (const [index, item] of value.entries()) {
    if (item === null || typeof item !== 'object') continue;
    const raw = item as Record<string, unknown>;
    const host = typeof raw.host === 'string' ? raw.host.trim() : '';
    if (!host) continue;
    const port = typeof raw.port === 'number' && Number.isInteger(raw.port) && raw.port > 0 && raw.port < 65536 ? raw.port : 8021;
    let name = typeof raw.name === 'string' && raw.name.trim() ? raw.name.trim() : `${host}:${port}`;
    while (names.has(name)) name = `${name} (2)`;
    names.add(name);
    const server: ServerConfig = { name, host, port };
    if (typeof raw.user === 'string' && raw.user.trim()) server.user = raw.user.trim();
    if (typeof raw.passwordEnv === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(raw.passwordEnv)) server.passwordEnv = raw.passwordEnv;
    const group = groupName(raw.group);
    if (group) server.group = group;
    out.push({ index, server });
  }
  return out;
}

/**
 * Why a group name would not be kept, or undefined when it would: it needs some text and no line
 * breaks or other control characters (it is one row's label), and at most MAX_GROUP_NAME
 * characters once whitespace is trimmed. The UI's InputBoxes validate with it.
 */
export function groupNameProblem(value: string): string | undefined {
  const name = value.trim();
  if (!name) return 'A group name is required';
  if (name.length > MAX_GROUP_NAME) return `At most ${MAX_GROUP_NAME} characters`;
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'No line breaks or other control characters';
  return undefined;
}

/** A usable group name (trimmed), or undefined: see groupNameProblem. */
function groupName(value: unknown): string | undefined {
  return typeof value === 'string' && groupNameProblem(value) === undefined ? value.trim() : undefined;
}

/**
 * `entry` (as written) with `fields` set, a field given as undefined removed, and every other field
 * kept as the user wrote it.
 */
function patched(entry: unknown, fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(entry as Record<string, unknown>) };
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

/**
 * The `freeswitch.servers` value (as written, `setting`) with new groups: `groupFor` gets each valid
 * entry as normaliseServers reads it and returns its group (undefined: none). Only the `group` of
 * entries whose group changes is written; everything else (other fields, other entries, entries
 * normaliseServers drops) stays as the user wrote it.
 */
function regroup(setting: unknown, groupFor: (server: ServerConfig) => string | undefined): unknown[] {
  if (!Array.isArray(setting)) return [];
  const out: unknown[] = [...setting];
  for (const { index, server } of readEntries(setting)) {
    const group = groupFor(server);
    if (group !== server.group) out[index] = patched(setting[index], { group });
  }
  return out;
}

/** Set Group…: the server named `server` in `group` (trimmed), or in none when undefined. */
export function withServerGroup(setting: unknown, server: string, group: string | undefined): unknown[] {
  return regroup(setting, (s) => (s.name === server ? group?.trim() : s.group));
}

/** Rename Group…: every member of `from` in `to` (trimmed). */
export function withGroupRenamed(setting: unknown, from: string, to: string): unknown[] {
  return regroup(setting, (s) => (s.group === from ? to.trim() : s.group));
}

/** Ungroup: no member of `group` keeps a group. */
export function withoutGroup(setting: unknown, group: string): unknown[] {
  return regroup(setting, (s) => (s.group === group ? undefined : s.group));
}

/** The fields Add and Edit Server ask for; no `user` means plain `auth`. */
export type AskedServerFields = Pick<ServerConfig, 'name' | 'host' | 'port' | 'user'>;

/**
 * A server as normaliseServers read it when a command started. Commands find its entry again when
 * they write, in the setting as it is then: the user (or a teammate, in a shared settings.json) may
 * have edited it while the command's prompts were open, which moves indexes and renames duplicates.
 */
export type ServerRef = Pick<ServerConfig, 'name' | 'host' | 'port'>;

/** The index in `setting` of the entry read as `ref`, or undefined when none is (any more). */
function entryIndex(setting: unknown, ref: ServerRef): number | undefined {
  return readEntries(setting).find(({ server }) => server.name === ref.name && server.host === ref.host && server.port === ref.port)?.index;
}

/** Add Server: `server` appended as entered; the other entries stay as written. */
export function withServerAdded(setting: unknown, server: ServerConfig): unknown[] {
  return [...(Array.isArray(setting) ? setting : []), server];
}

/**
 * Edit Server: the entry read as `ref` with the fields Edit asks for replaced (no `user`: the key
 * is removed) and its other fields kept, or undefined when that entry is gone.
 */
export function withServerEdited(setting: unknown, ref: ServerRef, fields: AskedServerFields): unknown[] | undefined {
  const index = entryIndex(setting, ref);
  if (!Array.isArray(setting) || index === undefined) return undefined;
  const out: unknown[] = [...setting];
  out[index] = patched(setting[index], { name: fields.name, host: fields.host, port: fields.port, user: fields.user });
  return out;
}

/** Remove Server: the setting without the entry read as `ref`, or undefined when that entry is gone. */
export function withoutServer(setting: unknown, ref: ServerRef): unknown[] | undefined {
  const index = entryIndex(setting, ref);
  if (!Array.isArray(setting) || index === undefined) return undefined;
  return setting.filter((_, i) => i !== index);
}
