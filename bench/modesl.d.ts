/** The little of modesl 1.2.1 (no type declarations of its own) that the benchmark uses. */
declare module 'modesl' {
  export class Event {
    type: string;
    subclass: string | undefined;
    body: string;
    getHeader(name: string): string | null;
    getBody(): string;
  }

  /** Inbound ESL connection; `ready` runs after auth succeeds. */
  export class Connection {
    constructor(host: string, port: number, password: string, ready?: () => void);
    /** The net.Socket; null once ended. */
    socket: { once(event: 'close', listener: () => void): unknown } | null;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: string, listener: (event: Event, ...rest: unknown[]) => void): this;
    once(event: string, listener: (...args: unknown[]) => void): this;
    /** `event <type> <names> BACKGROUND_JOB CHANNEL_EXECUTE_COMPLETE`; `cb` gets the command/reply. */
    events(type: 'plain' | 'json' | 'xml', events: string | string[], cb?: (reply: Event) => void): void;
    /** `api <command>`; `cb` gets the api/response. */
    api(command: string, cb: (response: Event) => void): void;
    /** Writes `exit` and ends the socket. */
    disconnect(): void;
  }
}
