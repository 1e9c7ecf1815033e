/**
 * `expect` for call tests. Call and session matchers wait for an event, named in the failure, up to
 * `within` ms; value matchers check at once. A failure is a CallTestError saying what was expected
 * and what happened.
 */
import { isDeepStrictEqual, inspect } from 'node:util';
import type { EslEvent } from '../esl/event';
import { Call } from '../models/call';
import { Session } from '../models/session';
import type { TestScope } from './context';
import { CallTestError } from './errors';

/** Default wait of call and session matchers, ms. */
export const DEFAULT_WITHIN_MS = 5_000;

const SCOPE_KEY = Symbol.for('freeswitch-dev.test.scope');

/** The test running now (one at a time); set by the runner. */
export function setCurrentScope(scope: TestScope | undefined): void {
  (globalThis as Record<symbol, unknown>)[SCOPE_KEY] = scope;
}

function currentScope(what: string): TestScope {
  const scope = (globalThis as Record<symbol, TestScope | undefined>)[SCOPE_KEY];
  if (!scope) throw new Error(`${what} can only be awaited inside a running call test`);
  return scope;
}

export interface WaitOptions {
  /** How long to wait, ms. Default 5,000. */
  within?: number;
}

function short(uuid: string): string {
  return uuid.slice(0, 8);
}

function describeCall(call: Call): string {
  const first = call.first;
  const dest = first.destination || first.channelName || 'call';
  return `call ${dest} (${short(call.uuid)})`;
}

function describeSession(s: Session): string {
  return `session ${s.channelName || s.uuid} (${short(s.uuid)})`;
}

function stateOf(s: Session): string {
  if (s.ended || s.hangupCause) return `hung up (${s.hangupCause ?? 'unknown cause'})`;
  return s.answered ? `answered, ${s.callState}` : s.callState;
}

function callState(call: Call): string {
  return call.sessions.map((s) => `${s.channelName || short(s.uuid)}: ${stateOf(s)}`).join('; ');
}

function lastNames(events: readonly EslEvent[], n = 6): string {
  const names = events.slice(-n).map((e) => (e.name === 'CUSTOM' && e.subclass ? e.subclass : e.name));
  return names.length ? names.join(', ') : 'no events';
}

function show(value: unknown): string {
  return inspect(value, { depth: 4, breakLength: 120 });
}

/** Matchers for a Call. */
export interface CallMatchers {
  /** The originated leg (the call's first session) is answered, within `within` ms. */
  toBeAnswered(options?: WaitOptions): Promise<void>;
  /** Every leg has hung up (with `cause` on the first leg, if given), within `within` ms. */
  toHaveEnded(options?: WaitOptions & { cause?: string }): Promise<void>;
  /** A leg ran the dialplan application `app` (a CHANNEL_EXECUTE for it), within `within` ms. */
  toHaveExecuted(app: string, options?: WaitOptions): Promise<void>;
  /** A leg received the event `name` (a CUSTOM event by its subclass), within `within` ms. */
  toReceiveEvent(name: string, options?: WaitOptions & { where?: (event: EslEvent) => boolean }): Promise<EslEvent>;
}

/** Matchers for a Session. */
export interface SessionMatchers extends Omit<CallMatchers, 'toHaveEnded'> {
  /** The session hung up (with `cause`, if given), within `within` ms. */
  toHaveEnded(options?: WaitOptions & { cause?: string }): Promise<void>;
  /**
   * DTMF events for these digits, in order, arrive on this session within `within` ms. Only digits
   * after the last ones matched count. FreeSWITCH fires DTMF on a leg whose application reads
   * DTMF (park, playback, a bridge), not on one running echo.
   */
  toReceiveDtmf(digits: string, options?: WaitOptions): Promise<void>;
  /** The channel variable has this value (asked from FreeSWITCH with uuid_getvar). */
  toHaveVariable(name: string, value: string | RegExp): Promise<void>;
}

/** Matchers for any value; they check at once. */
export interface ValueMatchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeTruthy(): void;
  toBeFalsy(): void;
  toBeDefined(): void;
  toBeUndefined(): void;
  toContain(item: unknown): void;
  toMatch(pattern: RegExp | string): void;
  toBeGreaterThan(n: number): void;
  toBeLessThan(n: number): void;
  toHaveLength(n: number): void;
}

const dtmfCursor = new WeakMap<Session, number>();

function callMatchers(call: Call): CallMatchers {
  const what = describeCall(call);
  return {
    async toBeAnswered({ within = DEFAULT_WITHIN_MS } = {}) {
      const scope = currentScope('expect(call).toBeAnswered');
      await scope.waitFor(
        () => (call.first.answered ? true : undefined),
        within,
        () =>
          new CallTestError(`expected ${what} to be answered within ${within} ms, but it was ${stateOf(call.first)} (last events: ${lastNames(scope.eventsOf(call))})`, {
            expected: `answered within ${within} ms`,
            actual: callState(call),
            callUuid: call.uuid,
          }),
      );
    },
    async toHaveEnded({ within = DEFAULT_WITHIN_MS, cause } = {}) {
      const scope = currentScope('expect(call).toHaveEnded');
      await scope.waitFor(
        () => (call.ended ? true : undefined),
        within,
        () =>
          new CallTestError(`expected ${what} to end within ${within} ms, but ${callState(call)} (last events: ${lastNames(scope.eventsOf(call))})`, {
            expected: `ended${cause ? ` with ${cause}` : ''} within ${within} ms`,
            actual: callState(call),
            callUuid: call.uuid,
          }),
      );
      const got = call.first.hangupCause;
      if (cause !== undefined && got !== cause) {
        throw new CallTestError(`expected ${what} to end with ${cause}, but it ended with ${got ?? 'no cause'}`, { expected: cause, actual: got ?? 'no cause', callUuid: call.uuid });
      }
    },
    toHaveExecuted: (app, options) => executed(call, what, app, options),
    toReceiveEvent: (name, options) => received(call, what, name, options),
  };
}

async function executed(target: Call | Session, what: string, app: string, { within = DEFAULT_WITHIN_MS }: WaitOptions = {}): Promise<void> {
  const scope = currentScope('expect(…).toHaveExecuted');
  const callUuid = isCall(target) ? target.uuid : (target.call?.uuid ?? target.uuid);
  await scope.waitFor(
    () => (scope.eventsOf(target).some((e) => e.name === 'CHANNEL_EXECUTE' && e.headers['Application'] === app) ? true : undefined),
    within,
    () => {
      const ran = scope.eventsOf(target).filter((e) => e.name === 'CHANNEL_EXECUTE').map((e) => e.headers['Application'] ?? '?');
      return new CallTestError(`expected ${what} to execute ${app} within ${within} ms, but it executed ${ran.length ? ran.join(', ') : 'nothing'}`, {
        expected: app,
        actual: ran.join(', ') || 'nothing',
        callUuid,
      });
    },
  );
}

async function received(target: Call | Session, what: string, name: string, { within = DEFAULT_WITHIN_MS, where }: WaitOptions & { where?: (event: EslEvent) => boolean } = {}): Promise<EslEvent> {
  const scope = currentScope('expect(…).toReceiveEvent');
  const callUuid = isCall(target) ? target.uuid : (target.call?.uuid ?? target.uuid);
  const matches = (e: EslEvent): boolean => (e.name === name || (e.name === 'CUSTOM' && e.subclass === name)) && (!where || where(e));
  // The listener subscribes to what the models need; other names are subscribed to here.
  if (!scope.listener.connection.subscriptions.has(name) && !scope.listener.connection.subscriptions.has('ALL')) {
    await scope.listener.connection.subscribe([name.includes('::') ? name : name.toUpperCase()]).catch(() => undefined);
  }
  return scope.waitFor(
    () => scope.eventsOf(target).find(matches),
    within,
    () =>
      new CallTestError(`expected ${what} to receive ${name} within ${within} ms, but it did not (last events: ${lastNames(scope.eventsOf(target))})`, {
        expected: name,
        actual: lastNames(scope.eventsOf(target), 20),
        callUuid,
      }),
  );
}

function sessionMatchers(session: Session): SessionMatchers {
  const what = describeSession(session);
  const callUuid = (): string => session.call?.uuid ?? session.uuid;
  return {
    async toBeAnswered({ within = DEFAULT_WITHIN_MS } = {}) {
      const scope = currentScope('expect(session).toBeAnswered');
      await scope.waitFor(
        () => (session.answered ? true : undefined),
        within,
        () => new CallTestError(`expected ${what} to be answered within ${within} ms, but it was ${stateOf(session)}`, { expected: 'answered', actual: stateOf(session), callUuid: callUuid() }),
      );
    },
    async toHaveEnded({ within = DEFAULT_WITHIN_MS, cause } = {}) {
      const scope = currentScope('expect(session).toHaveEnded');
      await scope.waitFor(
        () => (session.ended || session.hangupCause !== undefined ? true : undefined),
        within,
        () => new CallTestError(`expected ${what} to hang up within ${within} ms, but it was ${stateOf(session)}`, { expected: 'hung up', actual: stateOf(session), callUuid: callUuid() }),
      );
      if (cause !== undefined && session.hangupCause !== cause) {
        throw new CallTestError(`expected ${what} to hang up with ${cause}, but it hung up with ${session.hangupCause ?? 'no cause'}`, { expected: cause, actual: session.hangupCause ?? 'no cause', callUuid: callUuid() });
      }
    },
    toHaveExecuted: (app, options) => executed(session, what, app, options),
    toReceiveEvent: (name, options) => received(session, what, name, options),
    async toReceiveDtmf(digits, { within = DEFAULT_WITHIN_MS } = {}) {
      const scope = currentScope('expect(session).toReceiveDtmf');
      const from = dtmfCursor.get(session) ?? 0;
      const seen = (): string[] =>
        scope
          .eventsOf(session)
          .filter((e) => e.name === 'DTMF')
          .map((e) => e.headers['DTMF-Digit'] ?? '');
      const end = await scope.waitFor(
        () => {
          const got = seen().slice(from).join('');
          const at = got.indexOf(digits);
          return at >= 0 ? from + at + digits.length : undefined;
        },
        within,
        () => {
          const got = seen().slice(from).join('');
          return new CallTestError(`expected ${what} to receive DTMF ${digits} within ${within} ms, but it received ${got ? got : 'none'}`, {
            expected: digits,
            actual: got || '(no DTMF)',
            callUuid: callUuid(),
          });
        },
      );
      dtmfCursor.set(session, end);
    },
    async toHaveVariable(name, value) {
      const got = await session.getVar(name);
      const ok = typeof value === 'string' ? got === value : got !== undefined && value.test(got);
      if (!ok) throw new CallTestError(`expected ${what} to have ${name}=${String(value)}, but it was ${got === undefined ? 'unset' : JSON.stringify(got)}`, { expected: String(value), actual: got ?? '(unset)', callUuid: callUuid() });
    },
  };
}

function valueMatchers(actual: unknown): ValueMatchers {
  const fail = (message: string, expected: unknown): never => {
    throw new CallTestError(message, { expected: show(expected), actual: show(actual) });
  };
  return {
    toBe: (expected) => void (Object.is(actual, expected) || fail(`expected ${show(actual)} to be ${show(expected)}`, expected)),
    toEqual: (expected) => void (isDeepStrictEqual(actual, expected) || fail(`expected ${show(actual)} to equal ${show(expected)}`, expected)),
    toBeTruthy: () => void (actual || fail(`expected ${show(actual)} to be truthy`, 'truthy')),
    toBeFalsy: () => void (!actual || fail(`expected ${show(actual)} to be falsy`, 'falsy')),
    toBeDefined: () => void (actual !== undefined || fail('expected a value, got undefined', 'defined')),
    toBeUndefined: () => void (actual === undefined || fail(`expected undefined, got ${show(actual)}`, undefined)),
    toContain: (item) => {
      const ok = typeof actual === 'string' ? typeof item === 'string' && actual.includes(item) : Array.isArray(actual) && actual.some((x) => isDeepStrictEqual(x, item));
      if (!ok) fail(`expected ${show(actual)} to contain ${show(item)}`, item);
    },
    toMatch: (pattern) => {
      const ok = typeof actual === 'string' && (typeof pattern === 'string' ? actual.includes(pattern) : pattern.test(actual));
      if (!ok) fail(`expected ${show(actual)} to match ${String(pattern)}`, pattern);
    },
    toBeGreaterThan: (n) => void ((typeof actual === 'number' && actual > n) || fail(`expected ${show(actual)} to be greater than ${n}`, `> ${n}`)),
    toBeLessThan: (n) => void ((typeof actual === 'number' && actual < n) || fail(`expected ${show(actual)} to be less than ${n}`, `< ${n}`)),
    toHaveLength: (n) => {
      const len = (actual as { length?: unknown } | null | undefined)?.length;
      if (len !== n) fail(`expected length ${n}, got ${typeof len === 'number' ? len : 'no length'}`, n);
    },
  };
}

/** Expectations: on a Call or Session they wait for events; on anything else they check at once. */
export function expect(call: Call): CallMatchers & ValueMatchers;
export function expect(session: Session): SessionMatchers & ValueMatchers;
export function expect(value: unknown): ValueMatchers;
export function expect(value: unknown): ValueMatchers | (CallMatchers & ValueMatchers) | (SessionMatchers & ValueMatchers) {
  if (isCall(value)) return { ...valueMatchers(value), ...callMatchers(value) };
  if (isSession(value)) return { ...valueMatchers(value), ...sessionMatchers(value) };
  return valueMatchers(value);
}

// By shape as well as class: a second copy of the core (an installed package beside the runner's) has its own classes.
function isCall(value: unknown): value is Call {
  return value instanceof Call || (typeof value === 'object' && value !== null && 'sessions' in value && 'peer' in value && 'hangup' in value);
}

function isSession(value: unknown): value is Session {
  return value instanceof Session || (typeof value === 'object' && value !== null && 'uuid' in value && 'sendDtmf' in value && 'recv' in value);
}
