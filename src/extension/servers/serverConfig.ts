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
  if (!Array.isArray(value)) return [];
  const out: ServerConfig[] = [];
  const names = new Set<string>();
  for (const item of value) {
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
    out.push(server);
  }
  return out;
}

/**
 * A usable group name, or undefined: a string with some text and no line breaks or other control
 * characters (it is one row's label), whitespace trimmed, at most MAX_GROUP_NAME characters.
 */
function groupName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const name = value.trim();
  if (!name || name.length > MAX_GROUP_NAME || /[\u0000-\u001f\u007f]/.test(name)) return undefined;
  return name;
}
