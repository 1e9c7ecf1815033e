/**
 * Switch-wide state outside the channels: the global variables (`global_getvar`/`global_setvar`,
 * `${…}` falls back to them), whether the XML on disk is broken (`reloadxml`), and mod_hash's
 * table (the `hash` application and `${hash(select/…)}`).
 */
import type { SwitchIdentity } from './switchCore';

/**
 * vars.xml of the recording machine (README: vanilla config, hostname fs-dev, local_ip_v4 pinned,
 * hold music a tone, the directory password x'ed as in captures 19 and 20) and the core's own.
 */
function defaults(identity: SwitchIdentity): [string, string][] {
  return [
    ['hostname', identity.hostname],
    ['switchname', identity.switchname],
    ['local_ip_v4', '127.0.0.1'],
    ['local_ip_v6', '::1'],
    ['core_uuid', identity.coreUuid],
    ['domain', '127.0.0.1'],
    ['domain_name', '127.0.0.1'],
    ['hold_music', 'tone_stream://%(1000,0,440);loops=-1'],
    ['sound_prefix', '/usr/share/freeswitch/sounds/en/us/callie'],
    ['recordings_dir', '/srv/fs2/recordings'],
    ['default_password', 'xxxxxxxxxxxxxxxxx'],
    ['unroll_loops', 'true'],
    ['call_debug', 'false'],
    ['outbound_caller_id_name', 'FreeSWITCH'],
    ['outbound_caller_id_number', '0000000000'],
    ['default_areacode', '918'],
    ['us-ring', '%(2000,4000,440,480)'],
    ['internal_sip_port', '5070'],
  ];
}

export class SwitchGlobals {
  private readonly vars: Map<string, string>;
  /**
   * The error `reloadxml` reports while the XML on disk is broken (e.g. `[error near line 6568]:
   * unexpected closing tag </context>`), or undefined. The XML in force stays as it was.
   */
  xmlError: string | undefined;
  /** mod_hash: `realm/key` → value. */
  readonly hash = new Map<string, string>();

  constructor(identity: SwitchIdentity) {
    this.vars = new Map(defaults(identity));
  }

  get(name: string): string | undefined {
    return this.vars.get(name);
  }

  /** `global_setvar name=value`; an empty value unsets. */
  set(name: string, value: string): void {
    if (value === '') this.vars.delete(name);
    else this.vars.set(name, value);
  }

  entries(): readonly (readonly [string, string])[] {
    return [...this.vars.entries()];
  }
}
