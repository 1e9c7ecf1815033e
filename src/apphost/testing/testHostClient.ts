/**
 * Starts a test host process (dist/testhost.js) for one run and hands its validated messages to the
 * caller. No vscode: the Test Explorer and `fsdev test` both use it. The password travels over IPC,
 * never on the command line.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CANCELLED_RUN_MAX_MS, TEST_HOST_PROTOCOL_VERSION, parseTestHostMessage, type RunMessage, type TestHostToParent, type TestRunSummary } from '../../shared/protocol/testHost';

export interface TestHostRunOptions {
  run: Omit<RunMessage, 'kind'>;
  /** The host script. Default: testhost.js next to this bundle. */
  hostScript?: string;
  /** Start with the inspector on 127.0.0.1 (a free port); attach in `onDebuggerWaiting`. */
  inspect?: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Every message, in order (hello first). */
  onMessage(message: TestHostToParent): void;
  /** The host wrote its bundles and waits for a debugger (`run.debug`): attach it here. */
  onDebuggerWaiting?(inspectorUrl: string): void | Promise<void>;
  /** Lines the host printed outside the protocol (its own stderr, say). */
  onStderr?(line: string): void;
}

/** One run in its own process. `done` settles with the summary, or rejects if the host broke down. */
export class TestHostRun {
  private readonly child: ChildProcess;
  readonly done: Promise<TestRunSummary>;
  private summary: TestRunSummary | undefined;
  private fatal: string | undefined;
  /** Tags (`fsdev_test_run` values) of tests started and not reported passed: their calls may be up. */
  private readonly tags = new Map<string, string>();
  private readonly exited: Promise<void>;

  constructor(options: TestHostRunOptions) {
    const script = options.hostScript ?? join(__dirname, 'testhost.js');
    this.child = fork(script, [], {
      cwd: options.cwd ?? process.cwd(),
      env: options.env ?? process.env,
      execArgv: ['--enable-source-maps', ...(options.inspect ? ['--inspect=127.0.0.1:0'] : [])],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const stderr = (line: string): void => options.onStderr?.(line);
    if (this.child.stdout) createInterface({ input: this.child.stdout }).on('line', stderr);
    // Node's "Debugger listening on ws://…" lines land here too.
    if (this.child.stderr) createInterface({ input: this.child.stderr }).on('line', stderr);
    this.done = new Promise<TestRunSummary>((resolve, reject) => {
      this.child.on('message', (raw: unknown) => {
        const message = parseTestHostMessage(raw);
        if (!message) {
          stderr(`ignored a malformed message from the test host: ${JSON.stringify(raw).slice(0, 200)}`);
          return;
        }
        if (message.kind === 'hello') {
          // A host of another build (a stale dist/) would misread the run or report what this side misreads.
          if (message.protocol !== TEST_HOST_PROTOCOL_VERSION) {
            this.fatal = `the test host speaks protocol ${message.protocol}, expected ${TEST_HOST_PROTOCOL_VERSION}`;
            this.child.kill();
            return;
          }
          if (this.child.connected) this.child.send({ kind: 'run', ...options.run } satisfies RunMessage);
        }
        if (message.kind === 'debuggerWaiting') {
          void Promise.resolve(options.onDebuggerWaiting?.(message.inspectorUrl)).catch((err: unknown) => {
            this.fatal = `could not attach a debugger: ${err instanceof Error ? err.message : String(err)}`;
            this.child.kill();
          });
        }
        // A test that passed had its calls hung up; any other may have left some.
        if (message.kind === 'testStarted') this.tags.set(message.id, message.tag);
        if (message.kind === 'testFinished' && message.status === 'passed') this.tags.delete(message.id);
        if (message.kind === 'done') this.summary = message.summary;
        if (message.kind === 'fatal') this.fatal = message.message;
        options.onMessage(message);
      });
      this.child.on('error', (err) => reject(err));
      this.child.on('exit', (code, signal) => {
        if (this.summary && this.fatal === undefined) resolve(this.summary);
        else reject(new Error(this.fatal ?? `the test host exited (${signal ?? `code ${code}`}) before the run finished`));
      });
    });
    this.done.catch(() => undefined);
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Asks the host to cut the running test short, hang up its calls and end the run. */
  cancel(): void {
    if (this.child.connected) this.child.send({ kind: 'cancel' });
  }

  /** Ends the host at once. */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  /**
   * Cancels the run and waits up to `graceMs` (default: as long as a cancelled run may take to hang
   * up its calls) for the host to end; kills it if it did not (a test stuck in a synchronous loop
   * never lets the runner act). `killed` then carries the tags of the tests whose calls may still be
   * up: hang them up with `hupall <cause> fsdev_test_run <tag>`.
   */
  async stop(graceMs = CANCELLED_RUN_MAX_MS + 1_000): Promise<{ killed: boolean; tags: string[] }> {
    this.cancel();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
    const outcome = await Promise.race([this.exited.then(() => 'exited' as const), late]);
    clearTimeout(timer);
    if (outcome === 'exited') return { killed: false, tags: [] };
    this.kill();
    await this.exited;
    return { killed: true, tags: [...this.tags.values()] };
  }
}
