/**
 * Applications on simulated channels: CHANNEL_EXECUTE / _COMPLETE around answer, park, echo,
 * playback (PLAYBACK_START / _STOP, capture 10), sleep, hangup, set…, and those of dptools.ts
 * (export, bind_meta_app, hash, bridge); sendmsg and uuid_broadcast messages; DTMF and recording.
 * Data is expanded (`${…}`) before an app sees it, and an unknown app hangs the channel up
 * (capture 20). Variable updates and log lines follow the order the captures show.
 */
import { randomUUID } from 'node:crypto';
import type { RunningApp, SimChannel } from './channel';
import { nowUs } from './clock';
import type { DialplanAction } from './dialplan';
import { bindMetaApp, bridge, exportVariable, hash } from './dptools';
import { expandVariables } from './expand';
import { SITES, type Header } from './eslEvent';
import { naturalDurationMs, playbackFileType } from './media';
import { parseCause } from './originateArgs';
import { LOG_SITES, appEndedByHangup, callstateChange, queueAudioSync, type LogSite } from './sessionLog';
import type { SimSwitch } from './switchCore';

const ANSWERED_BY_PARTNER: LogSite = { file: 'mod_loopback.c', func: 'channel_receive_message', line: 1021 };
const ANSWERED_BY_APP: LogSite = { file: 'mod_dptools.c', func: 'answer_function', line: 1406 };
const PRE_ANSWERED_BY_PARTNER: LogSite = { file: 'mod_loopback.c', func: 'channel_receive_message', line: 1026 };
const PRE_ANSWERED_BY_APP: LogSite = { file: 'mod_dptools.c', func: 'pre_answer_function', line: 1476 };
const MARK_PRE_ANSWERED: LogSite = { file: 'switch_channel.c', func: 'switch_channel_perform_mark_pre_answered', line: 3585 };

export class AppRunner {
  constructor(private readonly sw: SimSwitch) {}

  /** Runs dialplan actions one after another until the channel goes down or is taken elsewhere. */
  async runActions(ch: SimChannel, actions: readonly DialplanAction[]): Promise<void> {
    for (const action of actions) {
      if (ch.isDown || ch.destroyed || ch.bridgedTo || ch.diverted) return;
      await this.execApp(ch, action.app, action.data);
    }
  }

  /**
   * `switch_core_session_exec`: sets the app variables, fires CHANNEL_EXECUTE, runs the app and
   * fires CHANNEL_EXECUTE_COMPLETE, unless the channel hung up meanwhile (the hangup sequence
   * completes the app then, in its own order). Everything up to the first wait happens
   * synchronously, so a caller can fire further events after the app has started.
   */
  async execApp(ch: SimChannel, name: string, rawData: string, message?: { loops: number; appUuid?: string }): Promise<void> {
    if (ch.isDown || ch.destroyed) return;
    if (!KNOWN_APPS.has(name)) {
      // switch_core_session_execute_application_get_flags: an unknown app ends the call (capture 20).
      this.sw.log(3, 'switch_core_session.c', 'switch_core_session_execute_application_get_flags', 2766, ch, `Invalid Application ${name}`);
      this.sw.calls.hangup(ch, 'DESTINATION_OUT_OF_ORDER', LOG_SITES.invalidApplication);
      return;
    }
    // The data is expanded for the channel before the app sees it (EXECUTE line, Application-Data).
    const data = expandVariables(this.sw, ch, rawData);
    const loops = message?.loops ?? 1;
    for (let loop = 1; loop <= loops; loop++) {
      if (message) {
        ch.vars.set('current_loop', String(loop));
        ch.vars.set('total_loops', String(loops));
      }
      const started = this.beginApp(ch, name, data, ch.app, message?.appUuid);
      const outcome = await this.runApp(ch, started);
      if (outcome === 'hangup' || ch.destroyed) return;
      this.completeApp(ch, started);
      if (message) {
        ch.vars.delete('current_loop');
        ch.vars.delete('total_loops');
      }
      await this.sw.step();
    }
  }

  /** The CHANNEL_EXECUTE part of an app. */
  beginApp(ch: SimChannel, name: string, data: string, outer: RunningApp | undefined, appUuid?: string): StartedApp {
    ch.vars.set('current_application', name);
    ch.vars.set('current_application_data', data);
    ch.vars.delete('current_application_response');
    ch.lastApp = name;
    ch.lastArg = data || undefined;
    let markEnded!: () => void;
    const ended = new Promise<void>((resolve) => (markEnded = resolve));
    const app: StartedApp = { name, data, uuid: appUuid ?? randomUUID(), outer, ended, markEnded };
    ch.app = app;
    this.sw.log(6, 'switch_core_session.c', 'switch_core_session_exec', 2902, ch, `EXECUTE [depth=0] ${ch.name} ${name}(${data})`, 1);
    const post: Header[] = [['Application', name]];
    if (data) post.push(['Application-Data', data]);
    post.push(['Application-UUID', app.uuid!]);
    this.sw.fire('CHANNEL_EXECUTE', SITES.execute, { channel: ch, post });
    // switch_core_session_exec sets it once more before running the app: it moves behind the data.
    ch.vars.set('current_application', name);
    return app;
  }

  /** The CHANNEL_EXECUTE_COMPLETE part; Application-Response is the `current_application_response` variable. */
  completeApp(ch: SimChannel, app: StartedApp): void {
    if (app.completed) return;
    app.completed = true;
    const post: Header[] = [['Application', app.name]];
    if (app.data) post.push(['Application-Data', app.data]);
    post.push(['Application-Response', ch.vars.get('current_application_response') ?? '_none_']);
    if (app.uuid) post.push(['Application-UUID', app.uuid]);
    this.sw.fire('CHANNEL_EXECUTE_COMPLETE', SITES.executeComplete, { channel: ch, post });
    ch.app = app.outer;
    app.markEnded();
    // Back in park (a playback sent into it ended): park reads what was queued meanwhile.
    if (ch.dtmfQueue.length > 0) void this.readDtmf(ch);
  }

  /** Runs an app's body; resolves how it ended. */
  private runApp(ch: SimChannel, app: StartedApp): Promise<'done' | 'hangup' | 'break'> {
    switch (app.name) {
      case 'answer':
        this.answerWithPartner(ch);
        return Promise.resolve('done');
      case 'park': {
        ch.parked = true;
        this.sw.fire('CHANNEL_PARK', SITES.park, { channel: ch });
        const parked = this.waitForFinish(app);
        void this.readDtmf(ch);
        return parked;
      }
      case 'send_dtmf':
        // Queues the digits on the far leg and returns at once: EXECUTE_COMPLETE comes before the
        // far leg's first DTMF event (capture 14, run inside echo by sendmsg).
        this.sendDtmf(ch, app.data);
        return Promise.resolve('done');
      case 'echo':
        return this.waitForFinish(app);
      case 'ring_ready':
        // switch_channel_mark_ring_ready: CHANNEL_PROGRESS (180 Ringing), call state RINGING.
        this.markProgress(ch, false);
        return Promise.resolve('done');
      case 'pre_answer':
        // switch_channel_pre_answer: CHANNEL_PROGRESS_MEDIA (183 with early media), call state EARLY;
        // mod_loopback pre-answers the other leg first (capture 20, loopback/app=…).
        this.preAnswer(ch);
        return Promise.resolve('done');
      case 'playback':
        return this.playback(ch, app);
      case 'sleep': {
        const natural = Number(app.data) || 0;
        queueAudioSync(ch, LOG_SITES.sleepSync);
        return this.waitForFinish(app, this.sw.options.sleepDurationMs ? this.sw.options.sleepDurationMs(natural) : natural);
      }
      case 'hangup':
        this.sw.calls.hangup(ch, parseCause(app.data));
        return Promise.resolve('hangup');
      case 'set': {
        // base_set: `SET <name> [var]=[value]`, UNDEF for an empty value (which unsets).
        const eq = app.data.indexOf('=');
        if (eq > 0) {
          const value = app.data.slice(eq + 1);
          this.sw.log(7, 'mod_dptools.c', 'base_set', 1671, ch, `SET ${ch.name} [${app.data.slice(0, eq)}]=[${value || 'UNDEF'}]`);
          ch.vars.set(app.data.slice(0, eq), value);
        }
        return Promise.resolve('done');
      }
      case 'export':
        exportVariable(this.sw, ch, app.data);
        return Promise.resolve('done');
      case 'bind_meta_app':
        bindMetaApp(this.sw, ch, app.data);
        return Promise.resolve('done');
      case 'hash':
        hash(this.sw, app.data);
        return Promise.resolve('done');
      case 'bridge':
        return bridge(this.sw, ch, app.data, knownApplication);
      case 'unset':
        ch.vars.delete(app.data);
        return Promise.resolve('done');
      case 'log':
        this.sw.log(6, 'mod_dptools.c', 'log_function', 1624, ch, app.data);
        return Promise.resolve('done');
      default:
        return Promise.resolve('done');
    }
  }

  /**
   * `answer`: mod_loopback answers the other leg first (`Channel [a] has been answered`), then
   * the channel itself is answered (capture 20).
   */
  answerWithPartner(ch: SimChannel): void {
    const partner = ch.partner;
    if (partner && !partner.answered && !partner.isDown) {
      this.sw.log(5, ANSWERED_BY_PARTNER.file, ANSWERED_BY_PARTNER.func, ANSWERED_BY_PARTNER.line, partner, `Channel [${partner.name}] has been answered`, 0);
      this.sw.markAnswered(partner);
    }
    if (!ch.answered && !ch.isDown) {
      this.sw.log(5, ANSWERED_BY_APP.file, ANSWERED_BY_APP.func, ANSWERED_BY_APP.line, ch, `Channel [${ch.name}] has been answered`, 0);
      this.sw.markAnswered(ch);
    }
  }

  /**
   * `pre_answer`: the other loopback leg gets early media first (`Pre-Answer <a>!`), then the
   * channel; both are then in EARLY with endpoint_disposition `EARLY MEDIA`, and the channel holds
   * an AUDIO_SYNC it only reads once hung up (capture 20).
   */
  private preAnswer(ch: SimChannel): void {
    const partner = ch.partner;
    for (const [leg, site] of [[partner, PRE_ANSWERED_BY_PARTNER], [ch, PRE_ANSWERED_BY_APP]] as const) {
      if (!leg || leg.answered || leg.isDown || leg.answerState === 'early') continue;
      this.sw.log(5, site.file, site.func, site.line, leg, `Pre-Answer ${leg.name}!`, 0);
      callstateChange(this.sw, leg, leg.callState, 'EARLY', MARK_PRE_ANSWERED);
      this.markProgress(leg, true);
      leg.vars.set('endpoint_disposition', 'EARLY MEDIA');
    }
    queueAudioSync(ch, LOG_SITES.preAnswerSync);
  }

  /**
   * Ring-ready or pre-answer of an unanswered channel. Invented simplification: the event carries
   * the channel's headers only.
   */
  private markProgress(ch: SimChannel, media: boolean): void {
    if (ch.answered || ch.isDown) return;
    if (media) {
      if (ch.answerState === 'early') return;
      ch.times.progressMediaUs = nowUs();
      ch.answerState = 'early';
      this.sw.fire('CHANNEL_PROGRESS_MEDIA', SITES.progressMedia, { channel: ch });
      this.sw.setCallState(ch, 'EARLY');
    } else {
      if (ch.times.progressUs) return;
      ch.times.progressUs = nowUs();
      this.sw.fire('CHANNEL_PROGRESS', SITES.progress, { channel: ch });
      if (ch.callState !== 'RINGING') this.sw.setCallState(ch, 'RINGING');
    }
  }

  /** Resolves when the app is finished from outside (hangup, break, bridge) or after `ms`. */
  private waitForFinish(app: StartedApp, ms = Number.POSITIVE_INFINITY): Promise<'done' | 'hangup' | 'break'> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      app.finish = (reason) => {
        if (timer) {
          clearTimeout(timer);
          this.sw.timers.delete(timer);
        }
        app.finish = undefined;
        resolve(reason);
      };
      if (Number.isFinite(ms)) {
        timer = setTimeout(() => {
          this.sw.timers.delete(timer!);
          app.finish?.('done');
        }, ms);
        this.sw.timers.add(timer);
      }
    });
  }

  /** PLAYBACK_START, the (simulated) media, PLAYBACK_STOP and the app response (capture 10). */
  private async playback(ch: SimChannel, app: StartedApp): Promise<'done' | 'hangup' | 'break'> {
    const path = app.data;
    const natural = naturalDurationMs(path);
    const ms = this.sw.options.mediaDurationMs ? this.sw.options.mediaDurationMs(path, natural) : natural;
    app.playback = { path, startedUs: nowUs() };
    this.sw.log(7, 'switch_ivr_play_say.c', 'switch_ivr_play_file', 1561, ch, 'Codec Activated L16@8000hz 1 channels 20ms');
    this.sw.fire('PLAYBACK_START', SITES.playbackStart, { channel: ch, post: this.playbackHeaders(path) });
    const played = this.waitForFinish(app, ms);
    void this.readDtmf(ch);
    const outcome = await played;
    if (outcome === 'hangup') return outcome;
    this.stopPlayback(ch, app, 'FILE PLAYED', outcome === 'done' ? 'done' : 'break');
    return outcome;
  }

  private playbackHeaders(path: string): Header[] {
    const type = playbackFileType(path);
    return type ? [['Playback-File-Type', type], ['Playback-File-Path', path]] : [['Playback-File-Path', path]];
  }

  /** PLAYBACK_STOP with the playback_* variables, then the app response for EXECUTE_COMPLETE. */
  private stopPlayback(ch: SimChannel, app: StartedApp, response: string, status: string): void {
    const pb = app.playback;
    if (!pb || pb.stopped) return;
    pb.stopped = true;
    this.sw.log(7, 'switch_ivr_play_say.c', 'switch_ivr_play_file', 2010, ch, `done playing file ${pb.path}`);
    const ms = Math.max(0, Math.round((nowUs() - pb.startedUs) / 1000));
    const samples = ms * 8;
    ch.vars.set('playback_last_offset_pos', String(samples));
    ch.vars.set('playback_seconds', String(Math.floor(ms / 1000)));
    ch.vars.set('playback_ms', String(ms));
    ch.vars.set('playback_samples', String(samples));
    this.sw.fire('PLAYBACK_STOP', SITES.playbackStop, { channel: ch, post: [...this.playbackHeaders(pb.path), ['Playback-Status', status]] });
    ch.vars.set('current_application_response', response);
  }

  /**
   * Ends whatever the channel runs because it hung up (or lost its media): PLAYBACK_STOP / CHANNEL_UNPARK, then
   * CHANNEL_EXECUTE_COMPLETE, innermost app first (a playback run by sendmsg inside park).
   */
  stopAppsForHangup(ch: SimChannel): void {
    while (ch.app) {
      const app = ch.app as StartedApp;
      app.finish?.('hangup');
      if (app.playback) this.stopPlayback(ch, app, 'PLAYBACK ERROR', 'done');
      if (app.name === 'park' && ch.parked) {
        ch.parked = false;
        this.sw.fire('CHANNEL_UNPARK', SITES.unpark, { channel: ch });
      }
      if (!app.completed) {
        // Its APPLICATION_EXEC_COMPLETE message reaches a channel that is already hung up.
        if (ch.isDown) appEndedByHangup(this.sw, ch);
        this.completeApp(ch, app);
      }
      ch.app = app.outer;
    }
  }

  /**
   * sendmsg `execute` / uuid_broadcast: park and echo run queued messages at once (inline, the app
   * keeps running afterwards); other apps finish first.
   */
  /** `appUuid`: a sendmsg `Event-UUID`, which FreeSWITCH echoes as the app's Application-UUID. */
  executeMessage(ch: SimChannel, app: string, data: string, loops: number, appUuid?: string): void {
    const run = async (): Promise<void> => {
      await this.sw.step();
      await this.execApp(ch, app, data, { loops, ...(appUuid ? { appUuid } : {}) });
    };
    const current = ch.app;
    if (!current || current.name === 'park' || current.name === 'echo') {
      void run();
      return;
    }
    ch.queue.push(run);
    if (ch.queue.length === 1) void this.drainQueue(ch);
  }

  private async drainQueue(ch: SimChannel): Promise<void> {
    while (ch.queue.length > 0 && !ch.isDown) {
      const current = ch.app as StartedApp | undefined;
      if (current && current.name !== 'park' && current.name !== 'echo') {
        // Not a step: a long playback ahead of the message is not "busy" for whenIdle().
        await current.ended;
        continue;
      }
      const next = ch.queue.shift();
      if (next) await next();
    }
    ch.queue.length = 0;
  }

  /** Ends the current playback as if the file had ended (test hook: hold music "finishes"). */
  completePlayback(ch: SimChannel): boolean {
    let app = ch.app as StartedApp | undefined;
    while (app && !app.playback) app = app.outer as StartedApp | undefined;
    if (!app?.finish) return false;
    app.finish('done');
    return true;
  }

  /** Ends the current `sleep` as if its time had run out (test hook: time is triggered, not waited). */
  completeSleep(ch: SimChannel): boolean {
    let app = ch.app as StartedApp | undefined;
    while (app && app.name !== 'sleep') app = app.outer as StartedApp | undefined;
    if (!app?.finish) return false;
    app.finish('done');
    return true;
  }

  /** uuid_break: stops the current playback (Playback-Status: break). */
  breakMedia(ch: SimChannel): void {
    const app = ch.app as StartedApp | undefined;
    if (app?.playback) app.finish?.('break');
  }

  /** uuid_park: ends the running app and parks the channel. */
  park(ch: SimChannel): void {
    ch.diverted = true;
    const app = ch.app as StartedApp | undefined;
    void (async () => {
      if (app && app.name !== 'park') {
        app.finish?.('break');
        await app.ended;
      }
      ch.diverted = false;
      if (!ch.parked && !ch.isDown) await this.execApp(ch, 'park', '');
    })();
  }

  /** uuid_answer. */
  answer(ch: SimChannel): void {
    this.sw.markAnswered(ch);
  }

  /**
   * `switch_core_session_send_dtmf_string`: sends `<digits>[@<ms>]` (several joined by `+`) out of
   * the channel and sets its `last_dtmf_duration`. Through loopback the digits are queued on the
   * partner leg, which fires a DTMF event per digit only when its application reads them (capture
   * 14). False when no digit was sent (`-ERR Operation failed`).
   */
  sendDtmf(ch: SimChannel, dtmf: string): boolean {
    if (ch.isDown || ch.destroyed || dtmf.length > 99) return false;
    const digits: { digit: string; durationSamples: number }[] = [];
    let totalSamples = 0;
    for (const part of dtmf.replace(/^~/, '').split('+')) {
      const at = part.indexOf('@');
      const ms = at < 0 ? 0 : Number.parseInt(part.slice(at + 1), 10) || 0;
      // Durations in samples at 8 kHz: 2000 (250 ms) unless the part asks for more than the 50 ms minimum.
      const durationSamples = ms > MIN_DTMF_SAMPLES / 8 ? Math.min(ms * 8, MAX_DTMF_SAMPLES) : DEFAULT_DTMF_SAMPLES;
      for (const digit of at < 0 ? part : part.slice(0, at)) {
        if (!/^[0-9A-Da-d*#wWfF]$/.test(digit)) continue;
        // Each digit counts with a 250 ms pause after it.
        totalSamples += durationSamples + 2000;
        if (digit !== 'w' && digit !== 'W') digits.push({ digit, durationSamples });
      }
    }
    if (totalSamples === 0) return false;
    ch.vars.set('last_dtmf_duration', String(totalSamples / 8));
    const receiver = ch.partner;
    if (receiver && !receiver.isDown && !receiver.destroyed) {
      receiver.dtmfQueue.push(...digits);
      void this.readDtmf(receiver);
    }
    return true;
  }

  /**
   * `switch_channel_dequeue_dtmf` in the channel's application loop: park and playback read one
   * queued digit per 20 ms frame and fire DTMF for it (no variables; Digit, Duration, Source last).
   * Other applications (echo, sleep…) leave the digits queued (capture 14: none arrive through
   * echo).
   */
  async readDtmf(ch: SimChannel): Promise<void> {
    if (ch.readingDtmf) return;
    ch.readingDtmf = true;
    try {
      while (ch.dtmfQueue.length > 0 && readsDtmf(ch)) {
        await this.sw.sleep(DTMF_FRAME_MS);
        if (ch.isDown || ch.destroyed || !readsDtmf(ch)) break;
        const next = ch.dtmfQueue.shift();
        if (!next) break;
        this.sw.fire('DTMF', SITES.dtmf, {
          channel: ch,
          post: [['DTMF-Digit', next.digit], ['DTMF-Duration', String(next.durationSamples)], ['DTMF-Source', 'UNKNOWN']],
        });
      }
    } finally {
      ch.readingDtmf = false;
    }
  }

  /**
   * `uuid_record <uuid> start <path> [<limit s>]` (switch_ivr_record_session_event): RECORD_START, a
   * full channel event with Record-File-Path last (capture 15). A limit ends the recording after
   * that many seconds of (simulated) media, like a stop. False when the channel cannot record.
   */
  recordStart(ch: SimChannel, path: string, limitSec = 0): boolean {
    if (ch.isDown || ch.destroyed) return false;
    let limitTimer: NodeJS.Timeout | undefined;
    if (limitSec > 0) {
      // Media time, like a playback: not a step of the call, so whenIdle() does not wait for it.
      limitTimer = setTimeout(() => {
        this.sw.timers.delete(limitTimer!);
        this.stopRecording(ch, path, 'success-maxtime');
      }, limitSec * 1000);
      this.sw.timers.add(limitTimer);
    }
    ch.recordings.set(path, { startedUs: nowUs(), limitTimer });
    this.sw.fire('RECORD_START', SITES.recordStart, { channel: ch, post: [['Record-File-Path', path]] });
    return true;
  }

  /**
   * `uuid_record <uuid> stop <path|all>` (switch_ivr_stop_record_session): RECORD_STOP for each.
   * FreeSWITCH reports `success-maxtime` for a stop by hand too (capture 15). False when nothing
   * matched (`-ERR Cannot stop record session!`).
   */
  recordStop(ch: SimChannel, path: string): boolean {
    const paths = path === 'all' ? [...ch.recordings.keys()] : ch.recordings.has(path) ? [path] : [];
    for (const p of paths) this.stopRecording(ch, p, 'success-maxtime');
    return paths.length > 0;
  }

  /**
   * The media bugs close when the channel hangs up (switch_core_session_hangup_state), before its
   * call state becomes HANGUP; a recording that heard no speech ends `no-input-timeout`. Invented
   * from FreeSWITCH's source (no capture hangs up while recording).
   */
  stopRecordingsForHangup(ch: SimChannel): void {
    for (const p of [...ch.recordings.keys()]) this.stopRecording(ch, p, 'no-input-timeout');
  }

  /**
   * send_record_stop_event: the record_* variables (a 16-bit mono WAV at 8 kHz: 44 header bytes
   * plus two per sample, as the file of capture 15), then RECORD_STOP with Record-File-Path and
   * Record-Completion-Cause last.
   */
  private stopRecording(ch: SimChannel, path: string, cause: string): void {
    const rec = ch.recordings.get(path);
    if (!rec) return;
    ch.recordings.delete(path);
    if (rec.limitTimer) {
      clearTimeout(rec.limitTimer);
      this.sw.timers.delete(rec.limitTimer);
    }
    const ms = Math.max(0, Math.floor((nowUs() - rec.startedUs) / 1000));
    const samples = ms * 8;
    ch.vars.set('record_file_size', String(44 + samples * 2));
    ch.vars.set('record_samples', String(samples));
    ch.vars.set('record_seconds', String(Math.floor(ms / 1000)));
    ch.vars.set('record_ms', String(ms));
    ch.vars.set('record_completion_cause', cause);
    this.sw.fire('RECORD_STOP', SITES.recordStop, { channel: ch, post: [['Record-File-Path', path], ['Record-Completion-Cause', cause]] });
  }
}

/** An app as it runs on a channel. */
export interface StartedApp extends RunningApp {
  outer: RunningApp | undefined;
  /** Resolves once CHANNEL_EXECUTE_COMPLETE has fired. */
  ended: Promise<void>;
  markEnded: () => void;
  completed?: boolean;
  playback?: { path: string; startedUs: number; stopped?: boolean };
}

/** FreeSWITCH's DTMF durations in samples at 8 kHz (switch_core.c defaults: 250 ms, at least 50 ms, at most 24 s). */
const DEFAULT_DTMF_SAMPLES = 2000;
const MIN_DTMF_SAMPLES = 400;
const MAX_DTMF_SAMPLES = 192000;
/** One media frame: an application loop dequeues at most one digit per frame (capture 14: 20 ms apart). */
const DTMF_FRAME_MS = 20;

/** Whether the channel's innermost application reads DTMF (switch_ivr_park, switch_ivr_play_file). */
function readsDtmf(ch: SimChannel): boolean {
  // A bridged leg reads too: the bridge loop dequeues DTMF to pass it to the other side.
  return ch.app?.name === 'park' || ch.app?.name === 'playback' || ch.bridgedTo !== undefined;
}

/** Apps this switch can run; others are "Invalid Application" as in FreeSWITCH (logged, nothing fired). */
const KNOWN_APPS = new Set(['answer', 'park', 'echo', 'playback', 'sleep', 'hangup', 'set', 'unset', 'log', 'ring_ready', 'pre_answer', 'send_dtmf', 'export', 'bind_meta_app', 'hash', 'bridge']);

/** Whether this switch has the application (anything else is `Invalid Application`). */
export function knownApplication(name: string): boolean {
  return KNOWN_APPS.has(name);
}

