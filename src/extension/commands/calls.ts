import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { buildOriginate, COMMON_HANGUP_CAUSES, JobError, UnsafeInputError, type EndpointSpec, type OriginateOptions } from '../../core';
import type { Services } from '../services';
import { callLabel, type TreeNode } from '../tree/nodes';
import { parseCallerId, parseSofiaStatus, parseVariables } from './originateInput';
import { Cancelled, pickCall, pickServer, pickSession, requireConnected } from './pickers';

const RECENT_KEY = 'freeswitch.recentDestinations';
const MAX_RECENT = 10;

interface RecentDestination {
  endpoint: EndpointSpec;
  destination: string;
}

function endpointText(endpoint: EndpointSpec): string {
  if (typeof endpoint === 'string') return endpoint;
  switch (endpoint.kind) {
    case 'sofia':
      return `sofia/${endpoint.profile}`;
    case 'gateway':
      return `gateway ${endpoint.gateway}`;
    case 'loopback':
      return 'loopback';
    case 'user':
      return 'user';
  }
}

async function quickPick<T extends vscode.QuickPickItem>(items: T[], options: vscode.QuickPickOptions): Promise<T> {
  const picked = await vscode.window.showQuickPick(items, options);
  if (!picked) throw new Cancelled();
  return picked;
}

async function input(options: vscode.InputBoxOptions): Promise<string> {
  const value = await vscode.window.showInputBox({ ignoreFocusOut: true, ...options });
  if (value === undefined) throw new Cancelled();
  return value.trim();
}

/** Validation text for a dial string built from `options`, or undefined when it is safe. */
function unsafeReason(destination: string, options: OriginateOptions): string | undefined {
  try {
    buildOriginate(destination, options, () => '00000000-0000-0000-0000-000000000000');
    return undefined;
  } catch (err) {
    return err instanceof UnsafeInputError ? err.message : String(err);
  }
}

/** The multi-step Originate Call flow: server, endpoint and destination, what to run, caller id, variables, confirm. */
export async function originateCall(services: Services, node?: TreeNode): Promise<void> {
  const server = await pickServer(services, node, { connected: true });
  const listener = requireConnected(server);
  const client = server.client!;
  const title = `Originate Call on ${server.config.name}`;

  // Endpoint: loopback and user always; sofia profiles and gateways when mod_sofia answers.
  let sofia = { profiles: [] as string[], gateways: [] as string[] };
  try {
    sofia = parseSofiaStatus(await client.cmd('sofia status'));
  } catch {
    // No mod_sofia: loopback and user remain.
  }
  const recent = services.context.globalState.get<RecentDestination[]>(RECENT_KEY, []);
  type EndpointItem = vscode.QuickPickItem & { endpoint?: EndpointSpec; recent?: RecentDestination };
  const endpointItems: EndpointItem[] = [
    ...recent.map((r) => ({ label: `$(history) ${r.destination}`, description: endpointText(r.endpoint), recent: r })),
    ...(recent.length ? [{ label: '', kind: vscode.QuickPickItemKind.Separator }] : []),
    { label: '$(debug-restart) loopback', description: "into this server's dialplan", endpoint: { kind: 'loopback' } },
    { label: '$(person) user', description: 'a registered directory user', endpoint: { kind: 'user' } },
    ...sofia.profiles.map((profile) => ({ label: `$(globe) sofia/${profile}`, description: 'SIP via this profile', endpoint: { kind: 'sofia', profile } as EndpointSpec })),
    ...sofia.gateways.map((gateway) => ({ label: `$(cloud) gateway ${gateway}`, description: 'SIP via this gateway', endpoint: { kind: 'gateway', gateway } as EndpointSpec })),
  ];
  const endpointPick = await quickPick(endpointItems, { title, placeHolder: 'Endpoint (or a recent destination)' });
  let endpoint: EndpointSpec;
  let destination: string;
  if (endpointPick.recent) {
    endpoint = endpointPick.recent.endpoint;
    destination = endpointPick.recent.destination;
  } else {
    endpoint = endpointPick.endpoint!;
    if (typeof endpoint !== 'string' && endpoint.kind === 'sofia') {
      const proxy = await input({ title, prompt: 'Outbound proxy (optional), e.g. sip:10.0.0.1:5060', placeHolder: 'leave empty to send directly' });
      if (proxy) endpoint = { ...endpoint, proxy };
    }
    const chosen = endpoint;
    destination = await input({
      title,
      prompt: `Destination for ${endpointText(chosen)}`,
      placeHolder: typeof chosen !== 'string' && chosen.kind === 'loopback' ? 'an extension, e.g. 9196 (echo) or 9664 (hold music)' : 'e.g. 1000 or 1000@example.com',
      validateInput: (v) => (v.trim() ? unsafeReason(v.trim(), { endpoint: chosen }) : 'A destination is required'),
    });
  }

  // What the answered leg runs.
  type TargetItem = vscode.QuickPickItem & { target: Partial<OriginateOptions> | 'extension' | 'app' };
  const target = await quickPick<TargetItem>(
    [
      { label: 'park', description: 'hold the call; control it from here', target: { app: 'park' } },
      { label: 'echo', description: 'echo audio back', target: { app: 'echo' } },
      { label: 'playback tone', description: 'tone_stream://%(1000,0,440);loops=-1', target: { app: 'playback', appArg: 'tone_stream://%(1000,0,440);loops=-1' } },
      { label: 'Dialplan extension…', description: 'send it through the XML dialplan', target: 'extension' },
      { label: 'Other application…', description: 'any dialplan application', target: 'app' },
    ],
    { title, placeHolder: 'When answered, run' },
  );
  let options: OriginateOptions = { endpoint };
  if (target.target === 'extension') {
    const ext = await input({ title, prompt: 'Extension and optional context: "9664" or "9664 default"', validateInput: (v) => (/^\S+(\s+\S+)?$/.test(v.trim()) ? undefined : 'extension [context]') });
    const [extension, context] = ext.split(/\s+/);
    options = { ...options, extension: extension!, ...(context ? { context } : {}) };
  } else if (target.target === 'app') {
    const app = await input({ title, prompt: 'Application and argument: "playback /tmp/hello.wav"', validateInput: (v) => (/^[A-Za-z0-9_]+(\s.*)?$/.test(v.trim()) ? undefined : 'An application name, then its argument') });
    const space = app.indexOf(' ');
    options = { ...options, app: space < 0 ? app : app.slice(0, space), ...(space < 0 ? {} : { appArg: app.slice(space + 1).trim() }) };
  } else {
    options = { ...options, ...target.target };
  }

  const callerId = await input({
    title,
    prompt: 'Caller ID (optional): "Name <number>"',
    placeHolder: 'FreeSWITCH Dev <1000>',
    validateInput: (v) => unsafeReason(destination, { ...options, ...parseCallerId(v.trim()) }),
  });
  options = { ...options, ...parseCallerId(callerId) };

  const vars = await input({
    title,
    prompt: 'Channel variables (optional): name=value, name2=value2',
    validateInput: (v) => {
      try {
        return unsafeReason(destination, { ...options, variables: parseVariables(v) });
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    },
  });
  if (vars) options = { ...options, variables: parseVariables(vars) };

  // The uuid is chosen here so the preview is the exact command sent (values may be escaped).
  options = { ...options, uuid: randomUUID() };
  const preview = buildOriginate(destination, options, randomUUID);
  const go = await quickPick([{ label: '$(call-outgoing) Originate', detail: preview.command }, { label: 'Cancel' }], { title, placeHolder: 'Send this command?' });
  if (!go.label.includes('Originate')) throw new Cancelled();

  await services.context.globalState.update(
    RECENT_KEY,
    [{ endpoint, destination }, ...recent.filter((r) => !(r.destination === destination && endpointText(r.endpoint) === endpointText(endpoint)))].slice(0, MAX_RECENT),
  );
  const job = client.originate(destination, options);
  services.log.info(`${server.config.name}: ${job.command}`);
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Originating ${destination}…`, cancellable: false }, async () => {
    try {
      await job.get(120_000);
    } catch (err) {
      const cause = err instanceof JobError ? err.cause : err instanceof Error ? err.message : String(err);
      throw new Error(`Originate ${destination} failed: ${cause}`);
    }
  });
  if (!listener.calls.has(job.sessUuid!)) services.log.info(`${server.config.name}: originated ${job.sessUuid}; its call ended already`);
}

export async function hangupCall(services: Services, node?: TreeNode): Promise<void> {
  const single = node?.kind === 'session' ? node.session : undefined;
  const { call } = single ? { call: undefined } : await pickCall(services, node);
  const cause = await quickPick(
    COMMON_HANGUP_CAUSES.map((c) => ({ label: c })),
    { title: single ? `Hang up ${single.channelName}` : `Hang up ${callLabel(call!)}`, placeHolder: 'Hangup cause' },
  );
  if (single) await single.hangup(cause.label);
  else await call!.hangup(cause.label);
}

export async function hangupAll(services: Services, node?: TreeNode): Promise<void> {
  const server = await pickServer(services, node, { connected: true });
  const listener = requireConnected(server);
  const count = listener.calls.size;
  const hangup = `Hang Up ${count} ${count === 1 ? 'Call' : 'Calls'}`;
  const answer = await vscode.window.showWarningMessage(
    count === 0 ? `There are no tracked calls on ${server.config.name}. Send hupall anyway?` : `Hang up all ${count} ${count === 1 ? 'call' : 'calls'} on ${server.config.name}?`,
    { modal: true },
    count === 0 ? 'Send hupall' : hangup,
  );
  if (!answer) return;
  const reply = await server.client!.hupall('NORMAL_CLEARING');
  services.log.info(`${server.config.name}: ${reply}`);
}

export async function answerSession(services: Services, node?: TreeNode): Promise<void> {
  const { session } = await pickSession(services, node);
  await session.answer();
}

export async function parkSession(services: Services, node?: TreeNode): Promise<void> {
  const { session } = await pickSession(services, node);
  await session.park();
}

export async function playOnSession(services: Services, node?: TreeNode): Promise<void> {
  const { session } = await pickSession(services, node);
  const picked = await quickPick(
    [
      { label: '440 Hz tone, 2 s', path: 'tone_stream://%(2000,0,440)' },
      { label: 'US ringback', path: 'tone_stream://%(2000,4000,440,480);loops=2' },
      { label: 'Busy signal', path: 'tone_stream://%(500,500,480,620);loops=4' },
      { label: 'File or stream…', path: '' },
    ],
    { title: `Play on ${session.channelName}`, placeHolder: 'Tone or file' },
  );
  const path = picked.path || (await input({ title: `Play on ${session.channelName}`, prompt: 'A file path or stream URL on the FreeSWITCH host', placeHolder: '/usr/share/freeswitch/sounds/en/us/callie/ivr/8000/ivr-welcome.wav' }));
  if (!path) return;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Playing on ${session.channelName}…` }, () => session.playback(path));
}

export async function sendDtmf(services: Services, node?: TreeNode): Promise<void> {
  const { session } = await pickSession(services, node);
  const digits = await input({ title: `Send DTMF to ${session.channelName}`, prompt: 'Digits (0-9, A-D, *, #; w waits 0.5 s)', validateInput: (v) => (/^[0-9A-Da-d*#wW]+$/.test(v.trim()) ? undefined : 'Only 0-9 A-D * # w W') });
  await session.sendDtmf(digits);
}

export async function setVariable(services: Services, node?: TreeNode): Promise<void> {
  const { session } = await pickSession(services, node);
  const name = await input({ title: `Set channel variable on ${session.channelName}`, prompt: 'Variable name', validateInput: (v) => (/^[A-Za-z_][A-Za-z0-9_.\-:]*$/.test(v.trim()) ? undefined : 'Letters, digits and _ . - :') });
  const value = await input({ title: `Set ${name}`, prompt: `Value of ${name}`, validateInput: (v) => (/[\r\n]/.test(v) ? 'No line breaks' : undefined) });
  await session.setVar(name, value);
  void vscode.window.setStatusBarMessage(`${name} set on ${session.channelName}`, 3000);
}

export async function executeApp(services: Services, node?: TreeNode): Promise<void> {
  const { session } = await pickSession(services, node);
  const text = await input({ title: `Execute on ${session.channelName}`, prompt: 'Dialplan application and argument, e.g. "playback tone_stream://%(500,0,800)"', validateInput: (v) => (/^[A-Za-z0-9_]+(\s[\s\S]*)?$/.test(v.trim()) ? undefined : 'An application name, then its argument') });
  const space = text.indexOf(' ');
  const app = space < 0 ? text : text.slice(0, space);
  const arg = space < 0 ? '' : text.slice(space + 1);
  const done = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `${app} on ${session.channelName}…` }, () => session.execute(app, arg, { timeoutMs: 120_000 }));
  const response = done.get('Application-Response');
  void vscode.window.setStatusBarMessage(`${app} finished${response ? `: ${response}` : ''}`, 5000);
}

export async function showChannelDetails(services: Services, node?: TreeNode): Promise<void> {
  const { server, session } = await pickSession(services, node);
  const dump = await server.client!.cmd(`uuid_dump ${session.uuid} json`);
  let pretty = dump;
  try {
    pretty = JSON.stringify(JSON.parse(dump), null, 2);
  } catch {
    // Not JSON (an old FreeSWITCH): show it as it came.
  }
  await services.documents.show(server.config.name, `channel-${session.uuid}.json`, pretty, 'json');
}
