import type { Client } from '../client';
import type { EslEvent } from '../esl/event';
import type { EventListener } from '../listener';
import type { Call } from '../models/call';
import type { Session } from '../models/session';
import type { App, AppCallbacks, AppContext } from './app';

/** What a route's function receives besides the session. */
export interface RouteContext {
  readonly session: Session;
  /** The CHANNEL_PARK being routed. */
  readonly event: EslEvent;
  readonly call: Call | undefined;
  /** The pattern's match on the header: `match[1]` is its first group. */
  readonly match: RegExpMatchArray;
  readonly client: Client;
  readonly listener: EventListener;
  /** Stops routing this call: no later route runs. Returning `Router.STOP` does the same. */
  stop(): void;
}

/** A route's function. Return `Router.STOP` (or call `route.stop()`) to stop routing. */
export type RouteHandler = (session: Session, route: RouteContext) => unknown;

/**
 * A guard a route needs besides its pattern: headers (or `variable_<name>` channel variables) that
 * must equal a string or match a RegExp, or a predicate.
 */
export type RouteGuard = Readonly<Record<string, string | RegExp>> | ((session: Session, event: EslEvent) => boolean);

export interface RouteOptions {
  /** The header the pattern is matched against. Default: the router's header. */
  header?: string;
  /** Further conditions; a route whose guard fails is skipped as if its pattern had not matched. */
  guard?: RouteGuard;
}

export interface RouterOptions {
  /** Default `Router`. */
  name?: string;
  /** The header patterns match by default. Default `Caller-Destination-Number`. */
  header?: string;
  /** Hangup cause for a call no route matched. Default `NO_ROUTE_DESTINATION`. */
  noRouteCause?: string;
}

interface Route {
  readonly pattern: RegExp;
  readonly header: string | undefined;
  readonly guard: RouteGuard | undefined;
  readonly target: string | RouteHandler;
}

const STOP: unique symbol = Symbol('Router.STOP');

/**
 * switchio's Router: dispatches parked inbound calls that no app owns by a pattern on a header
 * (default the destination number). Routes run in the order they were added; every matching route
 * runs until one stops routing. A route that names an app id hands the call to that app (sets
 * `fsdev_app_id` with uuid_setvar, and the app gets this CHANNEL_PARK and the call's later events)
 * and stops routing. A call no route matched is hung up with the no-route cause.
 *
 * A Router is an app (`inbound: true`): load it with `client.loadApp(router, { id: 'router' })`.
 *
 * ```ts
 * const router = new Router()
 *   .route('9999', 'tones')                                   // hand to the app loaded as `tones`
 *   .route(/^1(\d{3})$/, async (session, route) => {          // or run a function
 *     await session.answer();
 *     return Router.STOP;
 *   }, { guard: { 'Caller-Caller-ID-Number': '1000' } });
 * await client.loadApp(router, { id: 'router' });
 * ```
 */
export class Router implements App {
  /** Return it from a route's function to stop routing. */
  static readonly STOP: typeof STOP = STOP;

  readonly name: string;
  readonly inbound = true;
  readonly on: AppCallbacks;
  readonly header: string;
  readonly noRouteCause: string;
  private readonly routes: Route[] = [];
  private context: AppContext | undefined;

  constructor(options: RouterOptions = {}) {
    this.name = options.name ?? 'Router';
    this.header = options.header ?? 'Caller-Destination-Number';
    this.noRouteCause = options.noRouteCause ?? 'NO_ROUTE_DESTINATION';
    if (!/^[A-Z_0-9]+$/.test(this.noRouteCause)) throw new Error(`hangup cause ${JSON.stringify(this.noRouteCause)} is not a FreeSWITCH cause name (e.g. NO_ROUTE_DESTINATION)`);
    this.on = { CHANNEL_PARK: (session, event, call) => this.dispatch(session, event, call) };
  }

  /**
   * Adds a route. A string pattern is a regular expression that must match the whole value (as in
   * FreeSWITCH's dialplan, `9196` matches only `9196`); a RegExp is used as it is. The target is an
   * app id or a function.
   */
  route(pattern: string | RegExp, target: string | RouteHandler, options: RouteOptions = {}): this {
    const regexp = typeof pattern === 'string' ? new RegExp(`^(?:${pattern})$`) : pattern;
    if (typeof target !== 'string' && typeof target !== 'function') throw new Error('a route targets an app id or a function');
    this.routes.push({ pattern: regexp, header: options.header, guard: options.guard, target });
    return this;
  }

  setup(context: AppContext): void {
    this.context = context;
  }

  teardown(): void {
    this.context = undefined;
  }

  /**
   * Routes one parked session (what the router's CHANNEL_PARK callback runs). Resolves to the
   * number of routes that ran; 0 means the call was hung up with the no-route cause.
   */
  async dispatch(session: Session, event: EslEvent, call: Call | undefined = session.call): Promise<number> {
    const context = this.context;
    if (!context) throw new Error(`router ${this.name} is not loaded: load it with client.loadApp(router)`);
    let ran = 0;
    for (const route of this.routes) {
      const value = event.get(route.header ?? this.header) ?? session.get(route.header ?? this.header) ?? '';
      route.pattern.lastIndex = 0;
      const match = value.match(route.pattern);
      if (!match || !passes(route.guard, session, event)) continue;
      if (typeof route.target === 'string') {
        // A target that is not loaded is no route: the next one may match.
        if (!context.listener.loadedApps.has(route.target)) continue;
        ran++;
        await context.listener.routeToApp(session, route.target, event);
        break;
      }
      let stopped = false;
      const routeContext: RouteContext = {
        session,
        event,
        call,
        match,
        client: context.client,
        listener: context.listener,
        stop: () => void (stopped = true),
      };
      ran++;
      const result = await route.target(session, routeContext);
      if (stopped || result === STOP) break;
    }
    if (ran === 0 && !session.ended) await session.hangup(this.noRouteCause);
    return ran;
  }
}

function passes(guard: RouteGuard | undefined, session: Session, event: EslEvent): boolean {
  if (!guard) return true;
  if (typeof guard === 'function') return guard(session, event);
  for (const [header, expected] of Object.entries(guard)) {
    const value = event.get(header) ?? session.get(header);
    if (value === undefined) return false;
    if (typeof expected === 'string' ? value !== expected : !expected.test(value)) return false;
  }
  return true;
}
