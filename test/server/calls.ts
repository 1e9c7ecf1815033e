/**
 * Call flows of the simulated switch, in the orders the captures show: loopback originate (04/05,
 * 11), the b-leg routed by the XML dialplan and running its extension (20), the failed originate
 * (09), hangup of a loopback pair (04) or of a uuid_bridge'd call (10), hupall, and uuid_bridge
 * itself (10); each session's log lines as captures 08 and 20 show them (sessionLog.ts). Each step
 * is one event plus a pause (SimSwitch.step).
 */
import { randomUUID } from 'node:crypto';
import { knownApplication, type AppRunner, type StartedApp } from './apps';
import type { CallerProfile, SimChannel } from './channel';
import { localStamp, nowUs } from './clock';
import { huntDialplan, type DialplanAction } from './dialplan';
import { SITES } from './eslEvent';
import { inlineActions, parseCause, parseOriginateArgs, q850, type OriginateArgs } from './originateArgs';
import { userEndpointCause } from './dptools';
import * as slog from './sessionLog';
import { LOG_SITES, type LogSite } from './sessionLog';
import type { SimSwitch } from './switchCore';

/** The result of an originate and what the originated leg does once the caller has seen it. */
export interface OriginateOutcome {
  /** `+OK <uuid>\n` or `-ERR <CAUSE>\n`, as the api or BACKGROUND_JOB body. */
  reply: string;
  /** Runs the a-leg's application (or destroys a failed leg). Call after the reply is out. */
  continueCall: () => void;
}

const L16: Readonly<{ name: string; rate: number; bitRate: number }> = { name: 'L16', rate: 8000, bitRate: 128000 };
/** switch_core_standard_on_routing: `No Route, Aborting` and the hangup (not captured with logs). */
const NO_ROUTE_SITE: LogSite = { file: 'switch_core_state_machine.c', func: 'switch_core_standard_on_routing', line: 307 };
/** switch_channel_perform_set_running_state: the b-leg rings when it starts routing. */
const RINGING_SITE: LogSite = { file: 'switch_channel.c', func: 'switch_channel_perform_set_running_state', line: 2399 };
const noop = (): void => undefined;

export class CallFlows {
  constructor(
    private readonly sw: SimSwitch,
    private readonly apps: AppRunner,
  ) {}

  /** Hangs up on the next step, so a command's reply goes out first (sendmsg hangup). */
  hangupSoon(ch: SimChannel, cause: string): void {
    void this.sw.step().then(() => this.hangup(ch, cause));
  }

  /** The codec setup every new session does: two CODEC events, then the codec variables. */
  private async setCodecs(ch: SimChannel): Promise<void> {
    ch.readCodec = { ...L16 };
    ch.vars.set('read_codec', L16.name);
    ch.vars.set('read_rate', String(L16.rate));
    this.sw.fire('CODEC', SITES.readCodec, {
      channel: ch,
      post: [['channel-read-codec-name', L16.name], ['channel-read-codec-rate', String(L16.rate)], ['channel-read-codec-bit-rate', String(L16.bitRate)]],
    });
    await this.sw.step();
    ch.writeCodec = { ...L16 };
    ch.vars.set('write_codec', L16.name);
    ch.vars.set('write_rate', String(L16.rate));
    this.sw.fire('CODEC', SITES.writeCodec, {
      channel: ch,
      // The odd casing of the last one is FreeSWITCH's own (capture 04).
      post: [['Channel-Write-Codec-Name', L16.name], ['Channel-Write-Codec-Rate', String(L16.rate)], ['Channel-Write-codec-bit-rate', String(L16.bitRate)]],
    });
    await this.sw.step();
  }

  private profileFor(
    ch: SimChannel,
    cid: { name: string; number: string; origName: string; origNumber: string },
    destination: string,
    context: string,
    calleeIdNumber = destination,
  ): CallerProfile {
    return {
      direction: ch.direction,
      logicalDirection: ch.direction,
      dialplan: 'xml',
      callerIdName: cid.name,
      callerIdNumber: cid.number,
      origCallerIdName: cid.origName,
      origCallerIdNumber: cid.origNumber,
      calleeIdName: 'Outbound Call',
      calleeIdNumber,
      ani: cid.origNumber,
      destinationNumber: destination,
      uuid: ch.uuid,
      source: 'mod_loopback',
      transferSource: '',
      context,
      channelName: ch.name,
      profileIndex: 1,
      profileCreatedUs: ch.times.createdUs,
    };
  }

  /**
   * `originate`: loopback calls are simulated; `error/<cause>` fails at once without a channel
   * (capture 09); `user/<id>@<domain>` fails USER_NOT_REGISTERED as on the recording machine
   * (capture 20, no phone registers here); any other endpoint fails with CHAN_NOT_IMPLEMENTED
   * (invented: this switch has no SIP endpoint). `noLimits` (SOF_NO_LIMITS) skips sessions-per-second and max
   * sessions: the test server's own calls. `from` is the session that originates (a bridge): its
   * legs get the originator's variables, and nothing runs `&app` or flips the caller id.
   */
  async originate(argText: string, options: { noLimits?: boolean; from?: SimChannel } = {}): Promise<OriginateOutcome> {
    const args = parseOriginateArgs(argText);
    if (!args) {
      return {
        reply: '-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n',
        continueCall: noop,
      };
    }
    // A bridge logs this itself, after what it exports (dptools.ts).
    if (!options.from) this.sw.log(7, 'switch_ivr_originate.c', 'switch_ivr_originate', 2301, undefined, 'Parsing global variables');
    const [tech, dest, context] = args.endpoint.split('/');
    if (tech === 'loopback' && dest) return this.originateLoopback(args, dest, context || 'default', options.noLimits ?? false, options.from);
    await this.sw.step();
    if (tech === 'error' || tech === 'user') {
      const cause = tech === 'user' ? userEndpointCause(this.sw, dest ?? '') : parseCause(dest);
      this.sw.log(7, 'switch_ivr_originate.c', 'switch_ivr_originate', 3920, undefined, `Originate Resulted in Error Cause: ${q850(cause)} [${cause}]`);
      return { reply: `-ERR ${cause}\n`, continueCall: noop };
    }
    return { reply: '-ERR CHAN_NOT_IMPLEMENTED\n', continueCall: noop };
  }

  /** The loopback sequence of captures 04/05, event for event. */
  private async originateLoopback(args: OriginateArgs, dialled: string, context: string, noLimits: boolean, from?: SimChannel): Promise<OriginateOutcome> {
    // `loopback/app=<app>[:<arg>]`: the b-leg runs that app instead of the dialplan (mod_loopback).
    const appMatch = /^app=([^:]*)(?::(.*))?$/.exec(dialled);
    const loopbackApp = appMatch ? { name: appMatch[1]!, arg: appMatch[2] } : undefined;
    const dest = loopbackApp ? loopbackApp.name : dialled;
    const endpointData = args.endpoint.slice('loopback/'.length);
    // switch_ivr_originate: the callee id is switch_sanitize_number(destination): after the last `/` or `:`.
    const callee = endpointData.replace(/@.*$/, '').split('/').pop()!.split(':').pop()!;
    const vars = new Map(args.variables);
    const wantedUuid = vars.get('origination_uuid');
    if (wantedUuid && this.sw.channels.has(wantedUuid)) return { reply: '-ERR DESTINATION_OUT_OF_ORDER\n', continueCall: noop };
    // The profile is created from the global (`<…>`/`{…}`) caller id; a leg's `[…]` one only
    // replaces the current name and number, so Orig-Caller-ID-Name stays empty (capture 21, g).
    const globals = new Map(args.globalVariables);
    const origName = globals.get('origination_caller_id_name') ?? args.callerIdName ?? '';
    const origNumber = globals.get('origination_caller_id_number') ?? args.callerIdNumber ?? '0000000000';
    const cid = {
      name: vars.get('origination_caller_id_name') ?? origName,
      number: vars.get('origination_caller_id_number') ?? origNumber,
      origName,
      origNumber,
    };
    const created = nowUs();

    // The a-leg's session request: refused by sps or max sessions, the call never starts and no
    // event tells of it, only the originate's result (capture 17).
    if (this.sw.limits.request(noLimits)) return this.refused('loopback');
    const a = this.sw.newChannel(`loopback/${dest}-a`, 'outbound', false, created);
    // mod_loopback names the leg after the dialled string, then after its destination.
    slog.newChannel(this.sw, a, `${args.endpoint}-a`);
    if (from) slog.loopbackFrom(this.sw, a, from.uuid);
    slog.renamed(this.sw, a, `${args.endpoint}-a`);
    a.vars.set('direction', 'outbound');
    a.vars.set('is_outbound', 'true');
    a.vars.set('uuid', a.uuid);
    a.vars.set('call_uuid', a.uuid);
    a.vars.set('session_id', String(a.sessionId));
    await this.setCodecs(a);
    if (from) a.vars.set('loopback_from_uuid', from.uuid);
    if (loopbackApp) {
      a.vars.set('loopback_app', loopbackApp.name);
      if (loopbackApp.arg !== undefined) a.vars.set('loopback_app_arg', loopbackApp.arg);
    }
    a.vars.set('channel_name', a.name);
    a.profile = this.profileFor(a, cid, dest, context, callee);
    a.state = 'CS_INIT';
    // mod_loopback puts the new leg in CS_INIT before the core gives it the wanted uuid (capture 08).
    slog.stateChange(this.sw, a, 'CS_NEW', 'CS_INIT', LOG_SITES.loopbackOutgoing);
    if (wantedUuid) {
      const old = a.uuid;
      this.rekey(a, wantedUuid);
      a.vars.set('uuid', a.uuid);
      a.vars.set('call_uuid', a.uuid);
      slog.uuidSet(this.sw, a);
      this.sw.fire('CHANNEL_UUID', SITES.uuid, { channel: a, pre: [['Old-Unique-ID', old]] });
      await this.sw.step();
    }
    this.sw.fire('CHANNEL_OUTGOING', SITES.outgoing, { channel: a });
    await this.sw.step();
    this.sw.setRunningState(a, 'CS_INIT');
    slog.passState(this.sw, a, 'CS_INIT', 'CS_ROUTING', LOG_SITES.loopbackInit);
    await this.sw.step();

    // mod_loopback's channel_on_init requests the b-leg: refused, the a-leg stays (capture 17).
    if (this.sw.limits.request(noLimits)) return this.bLegRefused(a, args);
    const b = this.sw.newChannel(`loopback/${dest}-b`, 'inbound', true, created);
    slog.newChannel(this.sw, b, b.name);
    slog.stateChange(this.sw, b, 'CS_NEW', 'CS_INIT', LOG_SITES.loopbackInitB);
    slog.otherLoopbackFrom(this.sw, b, from?.uuid);
    a.partner = b;
    b.partner = a;
    b.vars.set('direction', 'inbound');
    b.vars.set('uuid', b.uuid);
    b.vars.set('call_uuid', b.uuid);
    b.vars.set('session_id', String(b.sessionId));
    b.vars.set('channel_name', b.name);
    await this.setCodecs(b);

    if (from) {
      // switch_ivr_originate from a session: the originator's marks on the new leg (capture 20).
      a.vars.set('max_forwards', '70');
      a.vars.set('originator_codec', 'L16@8000h@20i');
      a.vars.set('originator', from.uuid);
      a.vars.set('signal_bond', from.uuid);
      a.vars.set('call_uuid', from.uuid);
      a.callUuid = from.uuid;
      if (from.profile) {
        a.otherType = 'originator';
        a.otherLeg = { ...from.profile, profileIndex: undefined, transferSource: '' };
      }
    }
    // Origination variables land on the a-leg and, through mod_loopback, on the b-leg (capture 11).
    for (const [k, v] of args.variables) a.vars.set(k, v);
    a.vars.set('originate_early_media', 'true');
    if (from) a.vars.set('originating_leg_uuid', from.uuid);
    a.vars.set('originate_endpoint', 'loopback');
    a.vars.set('other_loopback_leg_uuid', b.uuid);
    a.vars.set('loopback_leg', 'A');
    a.state = 'CS_ROUTING';
    this.sw.fire('CHANNEL_CREATE', SITES.create, { channel: a });
    await this.sw.step();
    this.sw.fire('CHANNEL_ORIGINATE', SITES.originate, { channel: a });
    await this.sw.step();
    this.sw.setRunningState(a, 'CS_ROUTING');
    slog.passState(this.sw, a, 'CS_ROUTING', 'CS_CONSUME_MEDIA', LOG_SITES.originateRouting);
    await this.sw.step();
    a.state = 'CS_CONSUME_MEDIA';
    this.sw.setRunningState(a, 'CS_CONSUME_MEDIA');
    slog.enterState(this.sw, a, 'CS_CONSUME_MEDIA');
    slog.stateHandler(this.sw, a, 'CS_CONSUME_MEDIA');
    slog.endpointHandler(this.sw, a, 'CS_CONSUME_MEDIA');
    slog.stateAsleep(this.sw, a, 'CS_CONSUME_MEDIA');
    await this.sw.step();

    b.profile = this.profileFor(b, cid, dest, context, callee);
    b.state = 'CS_INIT';
    this.sw.setRunningState(b, 'CS_INIT');
    slog.passState(this.sw, b, 'CS_INIT', 'CS_ROUTING', LOG_SITES.loopbackInit);
    await this.sw.step();
    for (const [k, v] of args.variables) b.vars.set(k, v);
    if (loopbackApp) {
      b.vars.set('loopback_app', loopbackApp.name);
      if (loopbackApp.arg !== undefined) b.vars.set('loopback_app_arg', loopbackApp.arg);
    }
    b.vars.set('other_loopback_leg_uuid', a.uuid);
    if (from) b.vars.set('other_loopback_from_uuid', from.uuid);
    b.vars.set('loopback_leg', 'B');
    b.state = 'CS_ROUTING';
    this.sw.fire('CHANNEL_CREATE', SITES.create, { channel: b });
    await this.sw.step();
    b.runningState = 'CS_ROUTING';
    slog.enterState(this.sw, b, 'CS_ROUTING');
    slog.callstateChange(this.sw, b, 'DOWN', 'RINGING', RINGING_SITE);
    this.sw.setCallState(b, 'RINGING');
    await this.sw.step();
    this.sw.setRunningState(b, 'CS_ROUTING');
    slog.stateHandler(this.sw, b, 'CS_ROUTING');
    slog.endpointHandler(this.sw, b, 'CS_ROUTING');
    await this.sw.step();

    // The b-leg's extension: mod_loopback's own for an app leg (pre_answer, then the app), else
    // the dialplan's (DP_MATCH is set while hunting, call_uuid once routed).
    let actions: DialplanAction[] | undefined;
    if (loopbackApp) {
      if (!knownApplication(loopbackApp.name)) {
        this.sw.log(3, 'switch_core_session.c', 'switch_core_session_get_app_flags', 2662, undefined, `Invalid Application ${loopbackApp.name}`, 0);
      }
      actions = [{ app: 'pre_answer', data: '' }, { app: loopbackApp.name, data: loopbackApp.arg ?? '' }];
      slog.stateChange(this.sw, b, 'CS_ROUTING', 'CS_EXECUTE', LOG_SITES.loopbackRouting);
    } else {
      slog.standardHandler(this.sw, b, 'CS_ROUTING');
      actions = huntDialplan(this.sw, b);
      if (actions) slog.stateChange(this.sw, b, 'CS_ROUTING', 'CS_EXECUTE', LOG_SITES.standardRouting);
    }
    b.vars.set('call_uuid', b.uuid);
    if (!actions) return this.failLoopback(a, b, 'NO_ROUTE_DESTINATION');
    slog.stateAsleep(this.sw, b, 'CS_ROUTING');

    if (this.sw.options.callSetupDelayMs > 0) {
      await this.sw.sleep(this.sw.options.callSetupDelayMs);
      if (a.isDown || b.isDown) return this.abandoned(a);
    }
    b.state = 'CS_EXECUTE';
    this.sw.setRunningState(b, 'CS_EXECUTE');
    this.enterExecute(b);
    await this.sw.step();
    if (a.isDown || b.isDown) return this.abandoned(a);

    // A far end that rings, then answers or fails (load tests; see farEnd.ts).
    const farEnd = this.sw.options.farEnd?.(dest, vars);
    if (farEnd?.ringMs) {
      await this.apps.runActions(b, [{ app: 'ring_ready', data: '' }]);
      await this.sw.sleep(farEnd.ringMs);
      if (a.isDown || b.isDown) return this.abandoned(a);
    }
    if (farEnd?.failCause) return this.failLoopback(a, b, farEnd.failCause, false);

    // The originate waits while the b-leg runs its extension up to the `answer` (capture 20: the
    // failed bridge before it), and returns once mod_loopback answered the a-leg (capture 04);
    // an extension without `answer` (pre_answer, park) lets it return at once.
    const answerAt = actions.findIndex((x) => x.app === 'answer');
    if (answerAt >= 0) {
      await this.apps.runActions(b, actions.slice(0, answerAt));
      if (a.isDown || b.isDown) return this.abandoned(a);
      const done = this.apps.beginApp(b, 'answer', '', undefined);
      this.sw.log(5, 'mod_loopback.c', 'channel_receive_message', 1021, a, `Channel [${a.name}] has been answered`, 0);
      this.sw.markAnswered(a);
      await this.sw.step();
      this.sw.log(5, 'mod_dptools.c', 'answer_function', 1406, b, `Channel [${b.name}] has been answered`, 0);
      this.sw.markAnswered(b);
      await this.sw.step();
      this.apps.completeApp(b, done);
      await this.sw.step();
      void this.runExtension(b, actions.slice(answerAt + 1));
    } else {
      void this.runExtension(b, actions);
    }
    if (a.isDown) return this.abandoned(a);
    if (from) {
      this.sw.log(7, 'switch_ivr_originate.c', 'switch_ivr_originate', 3913, from, `Originate Resulted in Success: [${a.name}] Peer UUID: ${a.uuid}`);
      return { reply: `+OK ${a.uuid}\n`, continueCall: noop };
    }

    // switch_channel_flip_cid: the a-leg now shows the far end as its caller id.
    const p = a.profile;
    if (p.callerIdName) a.vars.set('pre_transfer_caller_id_name', p.callerIdName);
    a.vars.set('pre_transfer_caller_id_number', p.callerIdNumber);
    a.vars.set('channel_cid_flipped', 'yes');
    this.sw.log(6, 'switch_channel.c', 'switch_channel_flip_cid', 3289, a, `${a.name} Flipping CID from "${p.callerIdName}" <${p.callerIdNumber}> to "${p.calleeIdName}" <${p.calleeIdNumber}>`);
    a.profile = { ...p, callerIdName: p.calleeIdName, callerIdNumber: p.calleeIdNumber, calleeIdName: p.callerIdName, calleeIdNumber: p.callerIdNumber };
    a.hitDialplan = true;
    a.calleeDirection = 'RECV';
    this.sw.fire('CALL_UPDATE', SITES.callUpdate, { channel: a, pre: [['Direction', 'RECV']] });
    this.sw.log(7, 'switch_ivr_originate.c', 'switch_ivr_originate', 3913, undefined, `Originate Resulted in Success: [${a.name}] Peer UUID: ${a.uuid}`);
    a.callUuidColumn = a.uuid;

    return {
      reply: `+OK ${a.uuid}\n`,
      continueCall: () => void this.runOriginatedLeg(a, args),
    };
  }

  /** After originate returned: the a-leg goes to CS_EXECUTE and runs `&app` or the extension. */
  private async runOriginatedLeg(a: SimChannel, args: OriginateArgs): Promise<void> {
    await this.sw.step();
    if (a.isDown) return;
    a.state = 'CS_EXECUTE';
    a.vars.set('call_uuid', a.uuid);
    slog.stateChange(this.sw, a, 'CS_CONSUME_MEDIA', 'CS_EXECUTE', LOG_SITES.originateFunction);
    this.sw.setRunningState(a, 'CS_EXECUTE');
    this.enterExecute(a);
    await this.sw.step();
    if (args.target.kind === 'app') {
      await this.runExtension(a, [{ app: args.target.app, data: args.target.arg }]);
      return;
    }
    if (args.target.dialplan.toLowerCase() === 'inline') {
      await this.runExtension(a, inlineActions(args.target.extension));
      return;
    }
    // Invented simplification: the answered a-leg runs the extension's actions where FreeSWITCH
    // would transfer it (new caller profile, CS_ROUTING); an unknown one hangs it up.
    const actions = huntDialplan(this.sw, a, { destination: args.target.extension, context: args.target.context });
    if (!actions) {
      this.hangup(a, 'NO_ROUTE_DESTINATION');
      return;
    }
    await this.runExtension(a, actions);
  }

  /** CS_EXECUTE begins: `Running State Change`, `State EXECUTE`, mod_loopback's and the core's handlers. */
  private enterExecute(ch: SimChannel): void {
    slog.enterState(this.sw, ch, 'CS_EXECUTE');
    slog.stateHandler(this.sw, ch, 'CS_EXECUTE');
    slog.endpointHandler(this.sw, ch, 'CS_EXECUTE');
    slog.standardHandler(this.sw, ch, 'CS_EXECUTE');
  }

  /**
   * Runs an extension's applications; when the last one returns with the channel still up and
   * not taken elsewhere, switch_core_standard_on_execute hangs it up NORMAL_CLEARING (capture 20).
   */
  private async runExtension(ch: SimChannel, actions: readonly DialplanAction[]): Promise<void> {
    await this.apps.runActions(ch, actions);
    if (ch.isDown || ch.destroyed || ch.bridgedTo || ch.diverted || ch.app || ch.parked) return;
    this.sw.log(5, 'switch_core_state_machine.c', 'switch_core_standard_on_execute', 382, ch, `${ch.name} has executed the last dialplan instruction, hanging up.`);
    this.hangup(ch, 'NORMAL_CLEARING', LOG_SITES.lastInstruction);
  }

  /** No route on the b-leg: both legs go down, the originate fails, the a-leg is destroyed last (capture 09). */
  private async failLoopback(a: SimChannel, b: SimChannel, cause: string, noRoute = true): Promise<OriginateOutcome> {
    a.tearingDown = true;
    b.tearingDown = true;
    if (noRoute) this.sw.log(6, NO_ROUTE_SITE.file, NO_ROUTE_SITE.func, 306, b, 'No Route, Aborting');
    this.sw.markHangup(b, cause, NO_ROUTE_SITE);
    await this.sw.step();
    const destroyA = await this.teardownPair(b, { holdLastDestroy: true });
    this.sw.log(7, 'switch_ivr_originate.c', 'switch_ivr_originate', 3920, undefined, `Originate Resulted in Error Cause: ${q850(cause)} [${cause}]`);
    return { reply: `-ERR ${cause}\n`, continueCall: () => void destroyA() };
  }

  /**
   * The outgoing channel could not be created (its session request was refused): the originate
   * fails DESTINATION_OUT_OF_ORDER at once, with no channel and no event (capture 17).
   */
  private refused(type: string): OriginateOutcome {
    const cause = 'DESTINATION_OUT_OF_ORDER';
    this.sw.log(5, 'switch_ivr_originate.c', 'switch_ivr_originate', 3059, undefined, `Cannot create outgoing channel of type [${type}] cause: [${cause}]`);
    this.sw.log(7, 'switch_ivr_originate.c', 'switch_ivr_originate', 4056, undefined, `Originate Resulted in Error Cause: ${q850(cause)} [${cause}]`);
    return { reply: `-ERR ${cause}\n`, continueCall: noop };
  }

  /**
   * The a-leg got its session but the b-leg was refused (capture 17, max sessions 3): mod_loopback
   * logs `Failure.` and leaves the a-leg in CS_INIT, where it fires CHANNEL_CREATE (without the
   * loopback variables) and CHANNEL_ORIGINATE. Nothing will answer, so the originate waits out its
   * timeout (`originate_timeout` seconds, else originateTimeoutMs), then hangs the a-leg up
   * NO_ANSWER; the result goes out before the a-leg's CHANNEL_HANGUP_COMPLETE.
   */
  private async bLegRefused(a: SimChannel, args: OriginateArgs): Promise<OriginateOutcome> {
    this.sw.log(2, 'mod_loopback.c', 'channel_on_init', 258, a, 'Failure.');
    for (const [k, v] of args.variables) a.vars.set(k, v);
    a.vars.set('originate_early_media', 'true');
    a.vars.set('originate_endpoint', 'loopback');
    this.sw.fire('CHANNEL_CREATE', SITES.create, { channel: a });
    await this.sw.step();
    this.sw.fire('CHANNEL_ORIGINATE', SITES.originate, { channel: a });
    await this.sw.step();
    const timeoutSec = Number(new Map(args.variables).get('originate_timeout'));
    await this.untilHangupOr(a, timeoutSec > 0 ? timeoutSec * 1000 : (this.sw.options.originateTimeoutMs ?? 60_000));
    // Hung up while waiting (uuid_kill, hupall): that teardown is under way.
    if (a.isDown) return this.abandoned(a);
    const cause = 'NO_ANSWER';
    a.tearingDown = true;
    this.sw.markHangup(a, cause);
    await this.sw.step();
    this.sw.log(7, 'switch_ivr_originate.c', 'switch_ivr_originate', 4056, undefined, `Originate Resulted in Error Cause: ${q850(cause)} [${cause}]`);
    return {
      reply: `-ERR ${cause}\n`,
      continueCall: () =>
        void (async () => {
          await this.hangupStates(a, false);
          await this.destroy(a);
        })(),
    };
  }

  /**
   * Resolves after `ms` or as soon as the channel hangs up, whichever is first. A wait, not a step
   * of the call: whenIdle() does not wait for it (a test shortens it with originateTimeoutMs).
   */
  private untilHangupOr(ch: SimChannel, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sw.timers.delete(timer);
        ch.onHangup = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sw.timers.add(timer);
      ch.onHangup = done;
    });
  }

  /** A leg was hung up while the call was being set up: the originate reports that cause. */
  private abandoned(a: SimChannel): OriginateOutcome {
    return { reply: `-ERR ${a.hangupCause ?? 'ORIGINATOR_CANCEL'}\n`, continueCall: noop };
  }

  private rekey(ch: SimChannel, uuid: string): void {
    this.sw.channels.delete(ch.uuid);
    ch.uuid = uuid;
    ch.callUuid = uuid;
    if (ch.profile) ch.profile.uuid = uuid;
    this.sw.channels.set(uuid, ch);
  }

  /**
   * Hangs a channel up (uuid_kill, sendmsg hangup, the hangup app): CHANNEL_HANGUP now, the rest of
   * the hangup sequence of its call (loopback partner, bridged leg) from the next step on.
   */
  hangup(ch: SimChannel, cause: string, site: LogSite = LOG_SITES.killUuid): boolean {
    if (ch.isDown || ch.destroyed) return false;
    this.sw.markHangup(ch, cause, site);
    // An a-leg still in its originate (a bridge's loopback leg) goes down with it at once, and its
    // thread finishes first (capture 20: loopback/voicemail-a before -b).
    const partner = ch.partner;
    if (partner && partner.direction === 'outbound' && partner.runningState === 'CS_CONSUME_MEDIA' && !partner.isDown) {
      this.sw.markHangup(partner, cause, LOG_SITES.loopbackPartner);
    }
    this.scheduleTeardown(ch);
    return true;
  }

  /** hupall: CHANNEL_HANGUP on every matching channel first, then each call's sequence (capture 04). */
  hupall(cause: string, match?: { name: string; value: string }): void {
    const targets = [...this.sw.channels.values()].filter(
      (ch) => !ch.isDown && (!match || ch.vars.get(match.name) === match.value),
    );
    for (const ch of targets) this.sw.markHangup(ch, cause, LOG_SITES.hupall);
    for (const ch of targets) this.scheduleTeardown(ch);
  }

  private scheduleTeardown(ch: SimChannel): void {
    const bridged = ch.bridgedTo ?? ch.partner?.bridgedTo;
    const group = this.callGroup(ch);
    if (group.some((c) => c.tearingDown)) return;
    for (const c of group) c.tearingDown = true;
    if (bridged) {
      const sideA = group.find((c) => c.bridgeSide === 'A');
      const sideB = group.find((c) => c.bridgeSide === 'B');
      if (sideA && sideB) {
        void this.sw.step().then(() => this.teardownBridged(sideA, sideB, ch.hangupCause ?? 'NORMAL_CLEARING'));
        return;
      }
    }
    // The a-leg's thread runs first when both are down (hupall); otherwise the one hung up.
    const first = ch.partner && ch.partner.isDown && ch.partner.direction === 'outbound' ? ch.partner : ch;
    void this.sw.step().then(() => this.teardownPair(first, {}));
  }

  /** Both loopback legs, plus the legs bridged to them. */
  private callGroup(ch: SimChannel): SimChannel[] {
    const seen = new Set<SimChannel>();
    const visit = (c: SimChannel | undefined): void => {
      if (!c || seen.has(c)) return;
      seen.add(c);
      visit(c.partner);
      visit(c.bridgedTo);
    };
    visit(ch);
    return [...seen];
  }

  /**
   * One leg's way down once CHANNEL_HANGUP has fired: its app completes, CS_HANGUP, call state
   * HANGUP, mod_loopback hangs up the partner, CS_REPORTING, CHANNEL_HANGUP_COMPLETE.
   */
  private async hangupStates(ch: SimChannel, propagate: boolean, beforeComplete?: () => void): Promise<void> {
    // The session thread was running a state handler (EXECUTE: its app returns) or, for a leg in
    // an originate, waiting in CONSUME_MEDIA, where it reads its queued messages first (capture 20).
    const was = ch.runningState;
    this.apps.stopAppsForHangup(ch);
    await this.sw.step();
    if (was === 'CS_CONSUME_MEDIA') slog.skipAudioSync(this.sw, ch);
    else slog.stateAsleep(this.sw, ch, was);
    slog.enterState(this.sw, ch, 'CS_HANGUP');
    if (was !== 'CS_CONSUME_MEDIA') slog.skipAudioSync(this.sw, ch);
    this.sw.setRunningState(ch, 'CS_HANGUP');
    await this.sw.step();
    this.apps.stopRecordingsForHangup(ch);
    slog.callstateChange(this.sw, ch, ch.callState, 'HANGUP', { file: 'switch_core_state_machine.c', func: 'switch_core_session_hangup_state', line: 844 });
    slog.stateHandler(this.sw, ch, 'CS_HANGUP');
    slog.endpointHandler(this.sw, ch, 'CS_HANGUP');
    this.sw.setCallState(ch, 'HANGUP');
    await this.sw.step();
    if (propagate && ch.partner && !ch.partner.isDown) {
      this.sw.markHangup(ch.partner, ch.hangupCause ?? 'NORMAL_CLEARING', LOG_SITES.loopbackPartner);
      await this.sw.step();
    }
    slog.standardHandler(this.sw, ch, 'CS_HANGUP');
    slog.stateAsleep(this.sw, ch, 'CS_HANGUP');
    slog.stateChange(this.sw, ch, 'CS_HANGUP', 'CS_REPORTING', { file: 'switch_core_state_machine.c', func: 'switch_core_session_run', line: 616 });
    ch.state = 'CS_REPORTING';
    this.sw.setRunningState(ch, 'CS_REPORTING');
    slog.enterState(this.sw, ch, 'CS_REPORTING');
    slog.stateHandler(this.sw, ch, 'CS_REPORTING');
    slog.standardHandler(this.sw, ch, 'CS_REPORTING');
    slog.stateAsleep(this.sw, ch, 'CS_REPORTING');
    await this.sw.step();
    beforeComplete?.();
    this.setHangupVariables(ch);
    this.sw.fire('CHANNEL_HANGUP_COMPLETE', SITES.hangupComplete, { channel: ch, pre: [['Hangup-Cause', ch.hangupCause ?? 'NORMAL_CLEARING']] });
    slog.stateChange(this.sw, ch, 'CS_REPORTING', 'CS_DESTROY', { file: 'switch_core_state_machine.c', func: 'switch_core_session_run', line: 607 });
    slog.sessionLocked(this.sw, ch);
    if (was === 'CS_CONSUME_MEDIA') slog.channelKill(this.sw, ch);
    await this.sw.step();
  }

  /** CHANNEL_DESTROY, then the CS_DESTROY state, then the channel is gone. */
  private async destroy(ch: SimChannel): Promise<void> {
    if (ch.destroyed) return;
    ch.state = 'CS_DESTROY';
    slog.sessionEnded(this.sw, ch);
    this.sw.fire('CHANNEL_DESTROY', SITES.destroy, { channel: ch });
    await this.sw.step();
    this.sw.setRunningState(ch, 'CS_DESTROY');
    slog.destroyState(this.sw, ch);
    ch.destroyed = true;
    this.sw.channels.delete(ch.uuid);
    await this.sw.step();
  }

  /**
   * An unbridged loopback pair, `first` already hung up: its hangup states (which hang up the
   * partner), the partner's, then the b-leg is destroyed before the a-leg (mod_loopback keeps the
   * a-leg until the b-leg is gone). With holdLastDestroy the a-leg's destruction is returned for the
   * caller to run later (a failed originate replies first, capture 09).
   */
  private async teardownPair(first: SimChannel, opts: { holdLastDestroy?: boolean }): Promise<() => Promise<void>> {
    const second = first.partner;
    await this.hangupStates(first, true);
    if (second && !second.destroyed) await this.hangupStates(second, true);
    const legs = [first, second].filter((c): c is SimChannel => c !== undefined);
    const bLeg = legs.find((c) => c.direction === 'inbound');
    const aLeg = legs.find((c) => c.direction === 'outbound');
    if (bLeg) await this.destroy(bLeg);
    const last = async (): Promise<void> => {
      if (aLeg) await this.destroy(aLeg);
    };
    if (opts.holdLastDestroy) return last;
    await last();
    return async () => undefined;
  }

  /**
   * A call joined by uuid_bridge (capture 10): side A's loopback partner goes down, then side B
   * (which hangs up its partner), then A fires CHANNEL_UNBRIDGE and goes down while B's partner
   * stops its playback. The destroy order at the end is invented (not in the capture).
   */
  private async teardownBridged(a: SimChannel, b: SimChannel, cause: string): Promise<void> {
    if (!a.isDown) this.sw.markHangup(a, cause);
    const ap = a.partner;
    const bp = b.partner;
    if (ap && !ap.isDown) {
      // Side A's loopback partner loses its media first: its playback fails while it is still up.
      this.apps.stopAppsForHangup(ap);
      await this.sw.step();
      this.sw.markHangup(ap, cause);
      await this.sw.step();
    }
    if (ap) await this.hangupStates(ap, false);
    if (!b.isDown) {
      this.sw.markHangup(b, cause);
      await this.sw.step();
    }
    await this.hangupStates(b, true, () => {
      b.vars.set('last_bridge_to', a.uuid);
      this.setBridgeVars(b, a);
      b.vars.set('last_sent_callee_id_name', a.profile?.callerIdName ?? '');
      b.vars.set('last_sent_callee_id_number', a.profile?.callerIdNumber ?? '');
      b.vars.set('last_bridge_hangup_cause', cause);
    });
    a.vars.set('last_bridge_to', b.uuid);
    this.setBridgeVars(a, b);
    a.vars.set('last_sent_callee_id_name', b.profile?.calleeIdNumber ?? '');
    a.vars.set('last_sent_callee_id_number', b.profile?.calleeIdNumber ?? '');
    a.vars.set('last_bridge_role', 'originator');
    a.vars.set('bridge_hangup_cause', cause);
    this.sw.fire('CHANNEL_UNBRIDGE', SITES.unbridge, {
      channel: a,
      pre: [['Bridge-A-Unique-ID', a.uuid], ['Bridge-B-Unique-ID', b.uuid]],
    });
    await this.sw.step();
    this.sw.setRunningState(a, 'CS_HANGUP');
    await this.sw.step();
    this.apps.stopRecordingsForHangup(a);
    this.sw.setCallState(a, 'HANGUP');
    await this.sw.step();
    if (bp) this.apps.stopAppsForHangup(bp);
    await this.sw.step();
    a.state = 'CS_REPORTING';
    this.sw.setRunningState(a, 'CS_REPORTING');
    await this.sw.step();
    this.setHangupVariables(a);
    this.sw.fire('CHANNEL_HANGUP_COMPLETE', SITES.hangupComplete, { channel: a, pre: [['Hangup-Cause', a.hangupCause ?? cause]] });
    await this.sw.step();
    if (bp) await this.hangupStates(bp, false);
    for (const ch of [ap, a, bp, b]) if (ch) await this.destroy(ch);
  }

  private setBridgeVars(ch: SimChannel, other: SimChannel): void {
    ch.vars.set('bridge_channel', other.name);
    ch.vars.set('bridge_uuid', other.uuid);
    ch.vars.set('signal_bond', other.uuid);
  }

  /** `switch_channel_set_timestamps` and the CDR variables of CHANNEL_HANGUP_COMPLETE, in capture order. */
  private setHangupVariables(ch: SimChannel): void {
    const v = ch.vars;
    const t = ch.times;
    const cause = ch.hangupCause ?? 'NORMAL_CLEARING';
    const endUs = nowUs();
    const profileStartUs = ch.profile?.profileCreatedUs ?? t.createdUs;
    v.set('hangup_cause', cause);
    v.set('hangup_cause_q850', String(q850(cause)));
    v.set('digits_dialed', 'none');
    v.set('start_stamp', localStamp(t.createdUs));
    v.set('profile_start_stamp', localStamp(profileStartUs));
    if (t.answeredUs) v.set('answer_stamp', localStamp(t.answeredUs));
    if (t.bridgedUs) v.set('bridge_stamp', localStamp(t.bridgedUs));
    if (t.progressUs) v.set('progress_stamp', localStamp(t.progressUs));
    if (t.progressMediaUs) v.set('progress_media_stamp', localStamp(t.progressMediaUs));
    v.set('end_stamp', localStamp(endUs));
    const epoch = (us: number): string => String(Math.floor(us / 1_000_000));
    v.set('start_epoch', epoch(t.createdUs));
    v.set('start_uepoch', String(t.createdUs));
    v.set('profile_start_epoch', epoch(profileStartUs));
    v.set('profile_start_uepoch', String(profileStartUs));
    v.set('answer_epoch', epoch(t.answeredUs));
    v.set('answer_uepoch', String(t.answeredUs));
    v.set('bridge_epoch', epoch(t.bridgedUs));
    v.set('bridge_uepoch', String(t.bridgedUs));
    v.set('last_hold_epoch', '0');
    v.set('last_hold_uepoch', '0');
    v.set('hold_accum_seconds', '0');
    v.set('hold_accum_usec', '0');
    v.set('hold_accum_ms', '0');
    v.set('resurrect_epoch', '0');
    v.set('resurrect_uepoch', '0');
    v.set('progress_epoch', epoch(t.progressUs));
    v.set('progress_uepoch', String(t.progressUs));
    v.set('progress_media_epoch', epoch(t.progressMediaUs));
    v.set('progress_media_uepoch', String(t.progressMediaUs));
    v.set('end_epoch', epoch(endUs));
    v.set('end_uepoch', String(endUs));
    if (ch.lastApp) v.set('last_app', ch.lastApp);
    if (ch.lastArg) v.set('last_arg', ch.lastArg);
    const p = ch.profile;
    v.set('caller_id', p?.callerIdName ? `"${p.callerIdName}" <${p.callerIdNumber}>` : p?.callerIdNumber ?? '');
    const durationUs = endUs - t.createdUs;
    const billUs = t.answeredUs ? endUs - t.answeredUs : 0;
    const waitUs = t.answeredUs ? t.answeredUs - t.createdUs : 0;
    const setDurations = (suffix: string, div: number, round: (n: number) => number): void => {
      v.set(suffix === 'sec' ? 'duration' : `${suffix === 'msec' ? 'm' : 'u'}duration`, String(round(durationUs / div)));
      v.set(`bill${suffix}`, String(round(billUs / div)));
      v.set(`progress${suffix}`, '0');
      v.set(`answer${suffix}`, '0');
      v.set(`wait${suffix}`, String(round(waitUs / div)));
      v.set(`progress_media${suffix}`, '0');
      v.set(`flow_bill${suffix}`, String(round(billUs / div)));
    };
    setDurations('sec', 1_000_000, Math.round);
    setDurations('msec', 1000, Math.round);
    setDurations('usec', 1, Math.round);
    v.set('is_loopback', '1');
  }

  /**
   * uuid_bridge of two answered legs (capture 10): both leave their apps, get a transfer caller
   * profile and the bridge variables, execute `uuid_bridge` in CS_SOFT_EXECUTE, and side A fires
   * CHANNEL_BRIDGE. The UNPARK and CHANNEL_STATE events between are invented (not subscribed in
   * the capture).
   */
  async bridge(a: SimChannel, b: SimChannel): Promise<void> {
    await this.sw.step();
    if (a.isDown || b.isDown) return;
    const now = nowUs();
    const epoch = Math.floor(now / 1_000_000);
    a.state = 'CS_HIBERNATE';
    b.state = 'CS_HIBERNATE';
    a.vars.set('uuid_bridge', b.uuid);
    for (const [self, other] of [[a, b], [b, a]] as const) {
      this.setBridgeVars(self, other);
      const p = self.profile!;
      self.vars.set('original_destination_number', p.destinationNumber);
      self.vars.set('original_caller_id_name', p.callerIdName);
      self.vars.set('original_caller_id_number', p.callerIdNumber);
      const transfer = `${epoch}:${randomUUID()}:uuid_br:${other.uuid}`;
      self.vars.set('transfer_history', transfer);
      self.vars.set('transfer_source', transfer);
      self.profile = {
        ...p,
        transferSource: transfer,
        profileIndex: (p.profileIndex ?? 1) + 1,
        profileCreatedUs: now,
        logicalDirection: self === a ? 'inbound' : p.logicalDirection,
      };
    }
    a.otherType = 'originatee';
    b.otherType = 'originator';
    // The Other-Leg copies carry neither the profile index nor the transfer source (capture 10).
    a.otherLeg = { ...b.profile!, profileIndex: undefined, transferSource: '' };
    b.otherLeg = { ...a.profile!, profileIndex: undefined, transferSource: '' };
    b.hitDialplan = false;
    a.bridgedTo = b;
    b.bridgedTo = a;
    a.bridgeSide = 'A';
    b.bridgeSide = 'B';
    for (const ch of [a, b]) {
      const app = ch.app as StartedApp | undefined;
      if (!app) continue;
      app.finish?.('break');
      if (app.name === 'park' && ch.parked) {
        ch.parked = false;
        this.sw.fire('CHANNEL_UNPARK', SITES.unpark, { channel: ch });
      }
      this.apps.completeApp(ch, app);
      ch.app = undefined;
      await this.sw.step();
    }
    a.state = 'CS_SOFT_EXECUTE';
    this.sw.setRunningState(a, 'CS_SOFT_EXECUTE');
    a.vars.delete('uuid_bridge');
    this.sw.fire('CHANNEL_EXECUTE', SITES.uuidBridgeA, { channel: a, post: [['Application', 'uuid_bridge'], ['Application-Data', b.uuid]] });
    await this.sw.step();
    b.state = 'CS_SOFT_EXECUTE';
    this.sw.setRunningState(b, 'CS_SOFT_EXECUTE');
    b.vars.set('call_uuid', b.uuid);
    this.sw.fire('CHANNEL_EXECUTE', SITES.uuidBridgeB, { channel: b, post: [['Application', 'uuid_bridge'], ['Application-Data', a.uuid]] });
    await this.sw.step();
    a.times.bridgedUs = nowUs();
    b.times.bridgedUs = a.times.bridgedUs;
    a.callUuidColumn = a.uuid;
    b.callUuidColumn = a.uuid;
    this.sw.fire('CHANNEL_BRIDGE', SITES.bridge, { channel: a, pre: [['Bridge-A-Unique-ID', a.uuid], ['Bridge-B-Unique-ID', b.uuid]] });
    // The bridge makes side A's uuid the call's uuid on side B (capture 10, B's HANGUP_COMPLETE).
    b.callUuid = a.uuid;
    b.vars.set('call_uuid', a.uuid);
  }

  /** Starts `originate {origination_uuid=…}loopback/<dest> &park` without a client; returns the a-leg uuid. */
  originateDirect(destination: string, app = 'park'): string {
    const uuid = randomUUID();
    const arg = `{origination_uuid=${uuid}}loopback/${destination} &${app}`;
    void this.originate(arg, { noLimits: true }).then((o) => o.continueCall());
    return uuid;
  }
}
