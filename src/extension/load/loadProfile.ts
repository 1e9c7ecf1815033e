/** `*.fsload.json` profiles turned into the Load Test panel's settings (vscode-free). */
import { loadProfile, parseDuration } from '../../apphost/loadOptions';
import { DEFAULT_LOAD_SETTINGS, type LoadSettings } from '../../shared/protocol/loadTest';

/**
 * A profile's settings for the panel. Servers are matched to configured ones by host and port
 * (the panel uses the extension's connections and passwords); the first target is used.
 */
export function profileSettings(path: string, text: string, configured: readonly { name: string; host: string; port: number }[]): LoadSettings {
  const p = loadProfile(path, text);
  const target = p.targets?.[0];
  const servers = p.servers.map((s) => {
    const match = configured.find((c) => c.host === s.host && c.port === (s.port ?? 8021)) ?? configured.find((c) => c.name === s.name);
    if (!match) throw new Error(`${path}: no configured server is ${s.host}:${s.port ?? 8021}; add it in the Servers view.`);
    return match.name;
  });
  const duration = p.duration === undefined ? DEFAULT_LOAD_SETTINGS.durationMs : p.duration === 'auto' ? 'auto' : parseDuration(p.duration, 'duration');
  return {
    servers,
    rate: p.rate,
    limit: p.limit ?? DEFAULT_LOAD_SETTINGS.limit,
    durationMs: duration,
    maxOffered: p.maxOffered ?? 0,
    runTimeMs: p.runTime === undefined ? 0 : parseDuration(p.runTime, 'runTime'),
    rampMs: p.ramp === undefined ? 0 : parseDuration(p.ramp, 'ramp'),
    destination: target?.destination ?? DEFAULT_LOAD_SETTINGS.destination,
    endpoint: target?.endpoint ?? 'loopback',
    app: target?.app ?? 'park',
  };
}
