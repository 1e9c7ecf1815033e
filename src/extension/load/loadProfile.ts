/** `*.fsload.json` profiles turned into the Load Test panel's settings (vscode-free). */
import { loadProfile, parseDuration } from '../../apphost/loadOptions';
import { DEFAULT_LOAD_SETTINGS, type LoadSettings } from '../../shared/protocol/loadTest';
import { checkSettings } from './loadTestModel';

/**
 * A profile's settings for the panel: its balance, its whole weighted mix and its thresholds,
 * checked as a start from the form is. Servers are matched to configured ones by host and port
 * (the panel uses the extension's connections and passwords). Throws with the file and the problem.
 */
export function profileSettings(path: string, text: string, configured: readonly { name: string; host: string; port: number }[]): LoadSettings {
  const p = loadProfile(path, text);
  const servers = p.servers.map((s) => {
    const match = configured.find((c) => c.host === s.host && c.port === (s.port ?? 8021)) ?? configured.find((c) => c.name === s.name);
    if (!match) throw new Error(`${path}: no configured server is ${s.host}:${s.port ?? 8021}; add it in the Servers view.`);
    return match.name;
  });
  const duration = p.duration === undefined ? DEFAULT_LOAD_SETTINGS.durationMs : p.duration === 'auto' ? 'auto' : parseDuration(p.duration, 'duration');
  const checked = checkSettings({
    servers,
    rate: p.rate,
    limit: p.limit ?? DEFAULT_LOAD_SETTINGS.limit,
    durationMs: duration,
    maxOffered: p.maxOffered ?? 0,
    runTimeMs: p.runTime === undefined ? 0 : parseDuration(p.runTime, 'runTime'),
    rampMs: p.ramp === undefined ? 0 : parseDuration(p.ramp, 'ramp'),
    balance: p.balance ?? DEFAULT_LOAD_SETTINGS.balance,
    targets: (p.targets ?? DEFAULT_LOAD_SETTINGS.targets).map((t) => ({ endpoint: 'loopback', app: 'park', weight: 1, ...t })),
    thresholds: p.thresholds ?? [],
  });
  if ('error' in checked) throw new Error(`${path}: ${checked.error}`);
  return checked.settings;
}
