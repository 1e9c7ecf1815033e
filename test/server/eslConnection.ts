/**
 * One inbound ESL connection: authentication, subscriptions, filters, logs and the command set of
 * mod_event_socket.c's parse_command(), answered in the exact shapes of the captures.
 *
 * Commands are handled one at a time, in order, as FreeSWITCH's listener thread does. While an
 * `api` command runs, events and log lines for this connection wait and follow its api/response,
 * which is why `api uuid_kill` answers before its CHANNEL_HANGUP (capture 04).
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { apiReplyBody, executeApi } from './apiCommands';
import { commandHeader, CommandReader, type ClientCommand } from './commandReader';
import { canonicalEventName, EVENT_NAMES, headerValue, SITES, type EslEvent, type Header } from './eslEvent';
import { parseCause } from './originateArgs';
import { nowUs } from './clock';
import type { SimSwitch, SwitchSink } from './switchCore';
import {
  apiResponse,
  AUTH_REQUEST,
  commandReply,
  DISCONNECT_NOTICE,
  eventFrame,
  logDataFrame,
  RUDE_REJECTION,
  type EventFormat,
  type LogLine,
} from './wire';

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly password: string;
  readonly sw: SimSwitch;
  /** Resolves when replies may flow again (stallReplies(false)); undefined when not stalled. */
  stalled(): Promise<void> | undefined;
  recordCommand(connection: EslConnection, command: ClientCommand): void;
  /** Each reply, as it goes out (a connection answers its commands in order). */
  recordReply(connection: EslConnection, reply: CommandReplyRecord): void;
  closed(connection: EslConnection): void;
}

/** A command/reply or api/response as sent. */
export interface CommandReplyRecord {
  readonly contentType: 'command/reply' | 'api/response';
  readonly replyText: string;
  readonly body: string;
  readonly headers: readonly (readonly [string, string])[];
}

/** The events `myevents` subscribes to (mod_event_socket.c). */
const MYEVENTS = [
  'CHANNEL_ANSWER', 'CHANNEL_APPLICATION', 'CHANNEL_BRIDGE', 'CHANNEL_CREATE', 'CHANNEL_DATA', 'CHANNEL_DESTROY',
  'CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_HANGUP', 'CHANNEL_HANGUP_COMPLETE', 'CHANNEL_ORIGINATE',
  'CHANNEL_UUID', 'CHANNEL_OUTGOING', 'CHANNEL_PARK', 'CHANNEL_PROGRESS', 'CHANNEL_PROGRESS_MEDIA', 'CHANNEL_STATE',
  'CHANNEL_UNBRIDGE', 'CHANNEL_UNPARK', 'DETECTED_SPEECH', 'DTMF', 'NOTALK', 'TALK',
];

const LOG_LEVELS: Readonly<Record<string, number>> = {
  console: 0, alert: 1, crit: 2, err: 3, error: 3, warning: 4, notice: 5, info: 6, debug: 7,
};

/** `switch_log_str2level`: a name or a number (clamped); undefined when invalid. */
function parseLogLevel(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Math.min(Number(text), 63);
  return LOG_LEVELS[text.toLowerCase()];
}

const startsWith = (text: string, prefix: string): boolean => text.slice(0, prefix.length).toLowerCase() === prefix;

/** Splits at the first space: FreeSWITCH's `strchr(x, ' ')` idiom. */
function splitFirst(text: string): [string, string | undefined] {
  const i = text.indexOf(' ');
  return i < 0 ? [text, undefined] : [text.slice(0, i), text.slice(i + 1)];
}

export class EslConnection implements SwitchSink {
  authed = false;
  private closing = false;
  private eof = false;
  private readonly reader = new CommandReader();
  private readonly queue: ClientCommand[] = [];
  private pumping = false;
  private detach: (() => void) | undefined;
  /** Commands received and replies sent: a recorder started mid-stream skips the replies owed. */
  private received = 0;
  private replied = 0;

  // Subscription state (listener->event_list, event_hash, filters, format, level).
  private format: EventFormat = 'plain';
  private eventsOn = false;
  private readonly events = new Set<string>();
  private readonly subclasses = new Set<string>();
  private filters: [string, string][] = [];
  private logOn = false;
  private logLevel = 7;
  private myEvents: { uuid: string | undefined } | undefined;

  /** While > 0, events and logs wait in `held` (an `api` command is running). */
  private holdDepth = 0;
  private held: Buffer[] = [];
  /** The socket is corked until the end of this turn (see send). */
  private corked = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {}

  /** Commands received that have not been answered yet (in order: they are answered one at a time). */
  get unanswered(): number {
    return this.received - this.replied;
  }

  /** True until the server decided to close this connection. */
  get open(): boolean {
    return !this.closing;
  }

  /** Greets (auth/request) or rejects (rude-rejection + disconnect-notice, capture 13). */
  start(denied: boolean): void {
    this.socket.setNoDelay(true);
    this.socket.on('error', () => this.socket.destroy());
    this.socket.on('close', () => this.cleanup());
    if (denied) {
      this.closing = true;
      this.socket.end(Buffer.concat([RUDE_REJECTION, DISCONNECT_NOTICE]), () => this.socket.destroy());
      return;
    }
    this.detach = this.host.sw.addSink(this);
    this.socket.on('data', (chunk: Buffer) => {
      for (const command of this.reader.push(chunk)) {
        this.received++;
        this.host.recordCommand(this, command);
        this.queue.push(command);
      }
      void this.pump();
    });
    // FreeSWITCH answers a client's half-close with the disconnect notice, then closes (capture 01).
    this.socket.on('end', () => {
      this.eof = true;
      void this.pump();
    });
    this.socket.write(AUTH_REQUEST);
  }

  /** Destroys the socket without a goodbye (a dropped network). */
  drop(): void {
    this.closing = true;
    this.socket.destroy();
  }

  /** Writes bytes as they are (malformed-frame tests). */
  injectRaw(bytes: Buffer): void {
    if (this.authed && !this.closing) this.socket.write(bytes);
  }

  /** Server shutdown: the goodbye FreeSWITCH sends when its listener ends, then close. */
  shutdown(): void {
    this.finish();
  }

  // ---------------------------------------------------------------- delivery

  private send(bytes: Buffer): void {
    if (this.closing || this.socket.destroyed) return;
    // Frames written in one turn of the event loop leave in one write (writev), as a busy switch
    // fills its socket buffer; one syscall per event would cost more than making the event.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(bytes);
  }

  private deliver(bytes: Buffer): void {
    if (this.holdDepth > 0) this.held.push(bytes);
    else this.send(bytes);
  }

  private release(): void {
    if (--this.holdDepth > 0) return;
    const held = this.held;
    this.held = [];
    for (const b of held) this.send(b);
  }

  onEvent(event: EslEvent): void {
    if (!this.authed || this.closing || !this.wants(event)) return;
    this.deliver(eventFrame(event, this.format));
  }

  onLog(line: LogLine): void {
    if (!this.wantsLog(line.level)) return;
    this.deliver(logDataFrame(line));
  }

  wantsEvent(name: string, subclass: string | undefined): boolean {
    if (!this.authed || this.closing || !this.eventsOn) return false;
    if (this.events.has('ALL')) return true;
    return this.events.has(name) && (name !== 'CUSTOM' || !subclass || this.subclasses.has(subclass));
  }

  wantsLog(level: number): boolean {
    return this.authed && !this.closing && this.logOn && level <= this.logLevel;
  }

  /** event_handler() in mod_event_socket.c: subscription, then filters, then myevents. */
  private wants(event: EslEvent): boolean {
    if (!this.eventsOn) return false;
    let send = false;
    if (this.events.has('ALL')) send = true;
    else if (this.events.has(event.name)) {
      send = event.name !== 'CUSTOM' || !event.subclass || this.subclasses.has(event.subclass);
    }
    if (send && this.filters.length > 0) send = this.passesFilters(event.headers);
    if (send && this.myEvents) {
      const uuid = headerValue(event.headers, 'unique-id');
      if (!uuid || (this.myEvents.uuid && uuid !== this.myEvents.uuid)) send = false;
    }
    return send;
  }

  /**
   * Filters are an allow-list: an event passes if any filter matches it (case-insensitive value,
   * or `/regex/`); a `-` prefix makes a filter a veto; an event without the filtered header does
   * not match it (so `filter Unique-ID x` hides BACKGROUND_JOB, capture 07). JavaScript RegExp
   * stands in for PCRE.
   */
  private passesFilters(headers: readonly Header[]): boolean {
    let send = false;
    for (const [name, value] of this.filters) {
      const actual = headerValue(headers, name);
      if (actual === undefined) continue;
      let comp = value;
      let positive = true;
      while (comp.length > 0 && (comp[0] === '+' || comp[0] === '-' || comp[0] === ' ')) {
        if (comp[0] === '+') positive = true;
        else if (comp[0] === '-') positive = false;
        comp = comp.slice(1);
      }
      if (send && positive) continue;
      let match: boolean;
      if (value.startsWith('/')) {
        const m = /^\/(.*)\/([a-z]*)$/s.exec(comp);
        try {
          match = new RegExp(m ? m[1]! : comp, m?.[2]?.includes('i') ? 'i' : '').test(actual);
        } catch {
          match = false;
        }
      } else {
        match = actual.toLowerCase() === comp.toLowerCase();
      }
      if (match) {
        if (!positive) return false;
        send = true;
      }
    }
    return send;
  }

  // ---------------------------------------------------------------- commands

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closing) {
        const stall = this.host.stalled();
        if (stall) {
          await stall;
          continue;
        }
        await this.handle(this.queue.shift()!);
      }
    } finally {
      this.pumping = false;
    }
    if (this.eof && this.queue.length === 0) this.finish();
  }

  private reply(text: string, extra: readonly (readonly [string, string])[] = []): void {
    this.replied++;
    this.host.recordReply(this, { contentType: 'command/reply', replyText: text, body: '', headers: extra });
    this.send(commandReply(text, extra));
  }

  /** Disconnect notice, then close: after exit, failed auth, the client's EOF, or shutdown. */
  private finish(): void {
    if (this.closing) return;
    this.send(DISCONNECT_NOTICE);
    this.closing = true;
    this.detach?.();
    this.socket.end(() => this.socket.destroy());
  }

  private cleanup(): void {
    this.closing = true;
    this.detach?.();
    this.host.closed(this);
  }

  private async handle(command: ClientCommand): Promise<void> {
    const line = command.line;
    if (startsWith(line, 'exit') || line.startsWith('...')) {
      this.reply('+OK bye');
      this.finish();
      return;
    }
    if (!this.authed) {
      // Before auth only auth (and exit) work; anything else is "not found", and the listener
      // keeps waiting for a valid auth.
      if (startsWith(line, 'auth ')) {
        if (line.slice(5) === this.host.password) {
          this.authed = true;
          this.reply('+OK accepted');
        } else {
          this.reply('-ERR invalid');
          this.finish();
        }
      } else if (startsWith(line, 'userauth ')) {
        // Invented: this server has no directory users, so every userauth fails like a bad password.
        this.reply('-ERR invalid');
        this.finish();
      } else {
        this.reply('-ERR command not found');
      }
      return;
    }
    if (startsWith(line, 'filter ')) return this.filter(line.slice(7));
    if (startsWith(line, 'myevents ')) return this.myevents(line.slice(9));
    if (startsWith(line, 'divert_events')) return this.reply('-ERR not controlling a session.');
    if (startsWith(line, 'sendmsg')) return this.sendmsg(command);
    if (startsWith(line, 'sendevent')) return this.sendevent(command);
    if (startsWith(line, 'api ')) return this.api(line.slice(4));
    if (startsWith(line, 'bgapi ')) return this.bgapi(line.slice(6), command);
    if (startsWith(line, 'log')) return this.log(line);
    if (startsWith(line, 'linger') || startsWith(line, 'nolinger')) return this.reply('-ERR not controlling a session');
    if (startsWith(line, 'nolog')) {
      if (!this.logOn) return this.reply('-ERR not loging');
      this.logOn = false;
      return this.reply('+OK no longer logging');
    }
    if (startsWith(line, 'event')) return this.event(line);
    if (startsWith(line, 'nixevent')) return this.nixevent(line);
    if (startsWith(line, 'noevents')) {
      if (!this.eventsOn) return this.reply('-ERR not listening for events');
      this.eventsOn = false;
      this.events.clear();
      this.subclasses.clear();
      return this.reply('+OK no longer listening for events');
    }
    this.reply('-ERR command not found');
  }

  private filter(rest: string): void {
    let [name, value] = splitFirst(rest.replace(/^ +/, ''));
    if (name.toLowerCase() === 'delete' && value !== undefined) {
      [name, value] = splitFirst(value);
      if (name.toLowerCase() === 'all') this.filters = [];
      else {
        const lower = name.toLowerCase();
        this.filters = this.filters.filter(([n, v]) => !(n.toLowerCase() === lower && (value === undefined || v === value)));
      }
      this.reply(`+OK filter deleted. [${name}][${value ?? ''}]`);
      return;
    }
    if (value === undefined) {
      this.reply('-ERR invalid syntax');
      return;
    }
    if (name.toLowerCase() === 'add') [name, value] = splitFirst(value);
    this.filters.push([name, value ?? '']);
    this.reply(`+OK filter added. [${name}]=[${value ?? ''}]`);
  }

  /** `event [plain|json|xml] <names…>`: after CUSTOM, words are subclasses. */
  private event(line: string): void {
    const words = line.split(' ').slice(1);
    let keys = 0;
    let custom = false;
    words.forEach((word, i) => {
      if (i === 0 && /^(plain|json|xml)$/i.test(word)) {
        this.format = word.toLowerCase() as EventFormat;
        return;
      }
      if (custom) {
        this.subclasses.add(word);
        return;
      }
      const name = canonicalEventName(word);
      if (!name) return;
      keys++;
      if (name === 'ALL') for (const n of EVENT_NAMES) this.events.add(n);
      this.events.add(name);
      if (name === 'CUSTOM') custom = true;
    });
    if (keys === 0) {
      this.reply('-ERR no keywords supplied');
      return;
    }
    this.eventsOn = true;
    this.reply(`+OK event listener enabled ${this.format}`);
  }

  /** `nixevent <names…>`: removing one name from ALL keeps all the others. */
  private nixevent(line: string): void {
    const words = line.split(' ').slice(1);
    let keys = 0;
    let custom = false;
    for (const word of words) {
      if (custom) {
        this.subclasses.delete(word);
        continue;
      }
      const name = canonicalEventName(word);
      if (!name) continue;
      keys++;
      if (name === 'CUSTOM') custom = true;
      else if (name === 'ALL') this.events.clear();
      else {
        if (this.events.has('ALL')) {
          this.events.delete('ALL');
          for (const n of EVENT_NAMES) if (n !== 'ALL') this.events.add(n);
        }
        this.events.delete(name);
      }
    }
    if (keys === 0) {
      this.reply('-ERR no keywords supplied');
      return;
    }
    this.eventsOn = true;
    this.reply('+OK events nixed');
  }

  /** `myevents <uuid> [plain|json|xml]`: the channel's own events only. */
  private myevents(rest: string): void {
    if (this.myEvents) {
      this.reply('-ERR aready enabled.');
      return;
    }
    const [uuid, fmt] = splitFirst(rest.trim());
    const found = this.host.sw.channels.has(uuid);
    if (!found && fmt) {
      this.reply('-ERR invalid uuid');
      return;
    }
    this.myEvents = { uuid: found ? uuid : undefined };
    for (const n of MYEVENTS) this.events.add(n);
    const f = fmt?.toLowerCase();
    if (f === 'plain' || f === 'json' || f === 'xml') this.format = f;
    this.eventsOn = true;
    this.reply('+OK Events Enabled');
  }

  /** `log [level]`: the reply repeats the word as typed (`+OK log level 7 [7]`, capture 08). */
  private log(line: string): void {
    let levelText = line.slice(3);
    if (levelText.length > 0) levelText = levelText.slice(1);
    const level = levelText ? parseLogLevel(levelText) : 7;
    if (level === undefined) {
      this.reply('-ERR invalid log level');
      return;
    }
    this.logLevel = level;
    this.logOn = true;
    this.reply(`+OK log level ${levelText} [${level}]`);
  }

  /**
   * `sendmsg <uuid>` with call-command execute (app arg in a header or a content-length body, capture
   * 10) or hangup; `+OK` first, the channel acts on the next step.
   */
  private sendmsg(command: ClientCommand): void {
    const sw = this.host.sw;
    const uuid = command.line.slice(7).trim() || commandHeader(command, 'session-id') || '';
    const ch = sw.channels.get(uuid);
    if (!ch || ch.destroyed) {
      this.reply(`-ERR invalid session id [${uuid}]`);
      return;
    }
    this.reply('+OK');
    const callCommand = (commandHeader(command, 'call-command') ?? '').toLowerCase();
    if (callCommand === 'execute') {
      const app = commandHeader(command, 'execute-app-name');
      const arg = commandHeader(command, 'execute-app-arg') ?? command.body ?? '';
      const loops = Number(commandHeader(command, 'loops') ?? '1') || 1;
      if (app) sw.apps.executeMessage(ch, app, arg, loops, commandHeader(command, 'Event-UUID'));
    } else if (callCommand === 'hangup') {
      const cause = parseCause(commandHeader(command, 'hangup-cause'));
      sw.calls.hangupSoon(ch, cause);
    }
  }

  /**
   * `sendevent <NAME>`: the command's own headers become the event, then Event-UUID and the base
   * headers FreeSWITCH appends at the bottom (switch_event_prep_for_delivery).
   */
  private sendevent(command: ClientCommand): void {
    const sw = this.host.sw;
    const word = command.line.slice(9).trim();
    const name = canonicalEventName(word) ?? 'CLONE';
    const eventUuid = randomUUID();
    const subclass = name === 'CUSTOM' ? commandHeader(command, 'Event-Subclass') : undefined;
    const headers: Header[] = [['Command', command.line], ...command.headers, ['Event-UUID', eventUuid]];
    headers.push(...sw.baseHeaders(name, SITES.sendEvent, nowUs()));
    sw.deliver({ name, subclass, headers, body: command.body });
    this.reply(`+OK ${eventUuid}`);
  }

  /**
   * `api <cmd> [arg]`, run inline: the API event is created first (its sequence number is lower
   * than the events the command causes) and fired after them; the response goes out before any of
   * the events queued meanwhile (capture 04).
   */
  private async api(text: string): Promise<void> {
    const [cmd, arg] = splitFirst(text);
    const sw = this.host.sw;
    this.holdDepth++;
    let after: (() => void) | undefined;
    try {
      const sequence = sw.nextSequence();
      const timestampUs = nowUs();
      const result = await executeApi(sw, cmd, arg ?? '');
      after = result.after;
      this.fireApiEvent(cmd, arg, sequence, timestampUs);
      const body = apiReplyBody(cmd, result);
      this.replied++;
      this.host.recordReply(this, { contentType: 'api/response', replyText: '', body, headers: [] });
      this.send(apiResponse(body));
    } finally {
      this.release();
    }
    after?.();
  }

  /** `bgapi <cmd> [arg]`: the reply at once (honouring a Job-UUID header), BACKGROUND_JOB when done. */
  private bgapi(text: string, command: ClientCommand): void {
    const [cmd, arg] = splitFirst(text);
    const jobUuid = commandHeader(command, 'job-uuid') ?? randomUUID();
    this.reply(`+OK Job-UUID: ${jobUuid}`, [['Job-UUID', jobUuid]]);
    const sw = this.host.sw;
    const sequence = sw.nextSequence();
    const timestampUs = nowUs();
    void (async () => {
      const result = await executeApi(sw, cmd, arg ?? '');
      const body = result.found ? result.body : `-ERR ${cmd} Command not found!\n`;
      this.fireApiEvent(cmd, arg, sequence, timestampUs);
      const post: Header[] = [['Job-UUID', jobUuid], ['Job-Command', cmd]];
      if (arg !== undefined) post.push(['Job-Command-Arg', arg]);
      sw.fire('BACKGROUND_JOB', SITES.backgroundJob, { post, body });
      result.after?.();
    })();
  }

  private fireApiEvent(cmd: string, arg: string | undefined, sequence: number, timestampUs: number): void {
    const post: Header[] = [];
    if (cmd) post.push(['API-Command', cmd]);
    if (arg) post.push(['API-Command-Argument', arg]);
    this.host.sw.fire('API', SITES.api, { post, sequence, timestampUs });
  }
}
