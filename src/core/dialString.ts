import { UnsafeInputError } from './esl/errors';

/** Where an originated call goes. */
export type Endpoint =
  /** `sofia/<profile>/<dest>`, optionally through an outbound proxy (`;fs_path=sip:…`). */
  | { kind: 'sofia'; profile: string; proxy?: string }
  /** `sofia/gateway/<gateway>/<dest>`. */
  | { kind: 'gateway'; gateway: string }
  /** `loopback/<dest>[/<context>]`: a call into FreeSWITCH's own dialplan. */
  | { kind: 'loopback'; context?: string }
  /** `user/<dest>[@domain]`: a registered directory user. */
  | { kind: 'user'; domain?: string };

/** The shorthand `'loopback'`, `'user'`, `'sofia'` (profile `internal`) is accepted wherever an Endpoint is. */
export type EndpointSpec = Endpoint | 'loopback' | 'user' | 'sofia';

export interface OriginateOptions {
  /** Default `loopback`. */
  endpoint?: EndpointSpec;
  /** A dialplan application for the originated leg, e.g. `park`, `echo`, `playback`. Default `park`. */
  app?: string;
  /** Its argument, e.g. a file for `playback`. */
  appArg?: string;
  /** Send the answered leg into the dialplan at this extension instead of running `app`. */
  extension?: string;
  /** Dialplan for `extension`. Default `XML`. */
  dialplan?: string;
  /** Context for `extension`. Default `default`. */
  context?: string;
  callerIdName?: string;
  callerIdNumber?: string;
  /** Seconds to wait for an answer (`originate_timeout`). */
  timeoutSec?: number;
  /** Channel variables set on the originated leg (`{name=value,…}`). */
  variables?: Readonly<Record<string, string | number | boolean>>;
  /** Route the call's events to the app loaded with this id. */
  appId?: string;
  /** The originated session's uuid; generated when absent. */
  uuid?: string;
}

/** The channel variable that stamps every leg of a call we originate, so its legs group into one Call. */
export const CALL_ID_VAR = 'fsdev_call_id';
/** The channel variable naming the app whose callbacks receive a call's events. */
export const APP_ID_VAR = 'fsdev_app_id';

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_.\-:]*$/;
const TOKEN = /^[A-Za-z0-9_.\-+@:*#]+$/;
const APP_NAME = /^[A-Za-z0-9_]+$/;

/** Rejects what no quoting can make safe in a dial string or an ESL command. */
function assertPrintable(what: string, value: string): void {
  if (/[\r\n\0]/.test(value)) {
    throw new UnsafeInputError(`${what} contains a line break or NUL, which cannot be sent safely: ${JSON.stringify(value)}`);
  }
}

/**
 * Quotes a channel variable value for `{…}`. FreeSWITCH splits the block on `,` and honours single
 * quotes, so a value with a space, comma or brace is wrapped in quotes; a value that itself holds a
 * single quote cannot be quoted and is refused.
 */
export function quoteVariableValue(name: string, value: string): string {
  assertPrintable(`channel variable ${name}`, value);
  if (/^[^\s,'{}\[\]<>=^"\\]*$/.test(value)) return value;
  if (value.includes("'")) {
    // FreeSWITCH has no escape for a quote inside a quoted value, and a bare one opens a quote.
    throw new UnsafeInputError(`channel variable ${name} holds a single quote, which cannot be sent safely in a dial string: ${JSON.stringify(value)}`);
  }
  return `'${value}'`;
}

function checkToken(what: string, value: string, pattern: RegExp = TOKEN): string {
  assertPrintable(what, value);
  if (!pattern.test(value)) throw new UnsafeInputError(`${what} ${JSON.stringify(value)} may only contain ${describe(pattern)}`);
  return value;
}

function describe(pattern: RegExp): string {
  return pattern === APP_NAME ? 'letters, digits and _' : 'letters, digits and . - + @ : * # _';
}

function normaliseEndpoint(spec: EndpointSpec | undefined): Endpoint {
  if (spec === undefined || spec === 'loopback') return { kind: 'loopback' };
  if (spec === 'user') return { kind: 'user' };
  if (spec === 'sofia') return { kind: 'sofia', profile: 'internal' };
  return spec;
}

/** The endpoint part of a dial string, e.g. `sofia/internal/1000@example.com;fs_path=sip:proxy`. */
export function endpointUrl(destination: string, spec?: EndpointSpec): string {
  const endpoint = normaliseEndpoint(spec);
  switch (endpoint.kind) {
    case 'loopback': {
      const dest = checkToken('destination', destination);
      return endpoint.context ? `loopback/${dest}/${checkToken('context', endpoint.context)}` : `loopback/${dest}`;
    }
    case 'user': {
      const dest = checkToken('destination', destination);
      return endpoint.domain ? `user/${dest}@${checkToken('domain', endpoint.domain)}` : `user/${dest}`;
    }
    case 'gateway':
      return `sofia/gateway/${checkToken('gateway', endpoint.gateway)}/${checkToken('destination', destination)}`;
    case 'sofia': {
      const url = `sofia/${checkToken('profile', endpoint.profile)}/${checkToken('destination', destination)}`;
      if (!endpoint.proxy) return url;
      const proxy = endpoint.proxy.startsWith('sip:') ? endpoint.proxy.slice(4) : endpoint.proxy;
      return `${url};fs_path=sip:${checkToken('proxy', proxy)}`;
    }
  }
}

/** A dial string and the originate command built from it. */
export interface OriginateCommand {
  /** The originated session's uuid (`origination_uuid`), known before anything is sent. */
  uuid: string;
  /** `{vars}endpoint`, as FreeSWITCH's `originate` takes it. */
  dialString: string;
  /** What follows the dial string: `&app(arg)` or `extension dialplan context`. */
  destination: string;
  /** The full API command: `originate <dialString> <destination>`. */
  command: string;
}

/**
 * Builds `originate {origination_uuid=…,…}endpoint &app(arg)` (or `… extension XML context`).
 * Every part is validated and quoted; what cannot be made safe raises `UnsafeInputError` before
 * anything is sent.
 */
export function buildOriginate(destination: string, options: OriginateOptions, newUuid: () => string): OriginateCommand {
  const uuid = options.uuid ?? newUuid();
  checkToken('origination uuid', uuid, /^[A-Za-z0-9-]+$/);
  const vars: Array<[string, string]> = [
    ['origination_uuid', uuid],
    [CALL_ID_VAR, uuid],
  ];
  if (options.appId !== undefined) vars.push([APP_ID_VAR, checkToken('app id', options.appId)]);
  if (options.callerIdName !== undefined) vars.push(['origination_caller_id_name', options.callerIdName]);
  if (options.callerIdNumber !== undefined) vars.push(['origination_caller_id_number', checkToken('caller id number', options.callerIdNumber)]);
  if (options.timeoutSec !== undefined) {
    if (!(Number.isInteger(options.timeoutSec) && options.timeoutSec > 0)) throw new UnsafeInputError(`timeoutSec must be a positive whole number, not ${options.timeoutSec}`);
    vars.push(['originate_timeout', String(options.timeoutSec)]);
  }
  for (const [name, value] of Object.entries(options.variables ?? {})) {
    assertPrintable('channel variable name', name);
    if (!VAR_NAME.test(name)) throw new UnsafeInputError(`channel variable name ${JSON.stringify(name)} may only contain letters, digits and _ . - :`);
    vars.push([name, String(value)]);
  }
  const block = vars.map(([name, value]) => `${name}=${quoteVariableValue(name, value)}`).join(',');
  const dialString = `{${block}}${endpointUrl(destination, options.endpoint)}`;

  let target: string;
  if (options.extension !== undefined) {
    const ext = checkToken('extension', options.extension);
    const dialplan = checkToken('dialplan', options.dialplan ?? 'XML');
    const context = checkToken('context', options.context ?? 'default');
    target = `${ext} ${dialplan} ${context}`;
  } else {
    const app = checkToken('application', options.app ?? 'park', APP_NAME);
    if (options.appArg === undefined || options.appArg === '') target = `&${app}`;
    else {
      assertPrintable('application argument', options.appArg);
      // originate splits its arguments on spaces and honours single quotes.
      if (/[\s']/.test(options.appArg)) {
        if (options.appArg.includes("'")) throw new UnsafeInputError(`application argument holds a single quote and a space; it cannot be sent safely: ${JSON.stringify(options.appArg)}`);
        target = `'&${app}(${options.appArg})'`;
      } else target = `&${app}(${options.appArg})`;
    }
  }
  return { uuid, dialString, destination: target, command: `originate ${dialString} ${target}` };
}
