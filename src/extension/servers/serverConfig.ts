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
}

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
    out.push(server);
  }
  return out;
}

