import * as vscode from 'vscode';
import type { Services } from '../services';
import type { TreeNode } from '../tree/nodes';
import { callLegs } from '../dialplan/traceRun';
import { parseCallerId } from './originateInput';
import { Cancelled, pickCall, pickGroup, pickServer, requireConnected, requireConnectedMembers } from './pickers';

/** A URI from a command's arguments: the editor title button passes the resource. */
function uriArg(args: readonly unknown[] | undefined): vscode.Uri | undefined {
  const first = args?.[0];
  if (first instanceof vscode.Uri) return first;
  if (typeof first === 'string' && /^[a-z][\w+.-]*:/i.test(first)) return vscode.Uri.parse(first);
  return undefined;
}

async function input(options: vscode.InputBoxOptions): Promise<string> {
  const value = await vscode.window.showInputBox({ ignoreFocusOut: true, ...options });
  if (value === undefined) throw new Cancelled();
  return value.trim();
}

/** FreeSWITCH: Reload XML (palette, editor title of configuration files, a server's context menu). */
export async function reloadXml(services: Services, node?: TreeNode, args?: readonly unknown[]): Promise<void> {
  const server = await pickServer(services, node?.kind === 'server' ? node : undefined, { connected: true });
  requireConnected(server);
  await services.dialplan.reloadXml(server, uriArg(args) ?? vscode.window.activeTextEditor?.document.uri);
}

/**
 * FreeSWITCH: Reload XML on Group (a group row's context menu, palette): reloadxml on every
 * connected member at once. The group row comes as the first of `args`, as for the other group commands.
 */
export async function reloadXmlOnGroup(services: Services, _node?: TreeNode, args?: readonly unknown[]): Promise<void> {
  const group = await pickGroup(services, args);
  requireConnectedMembers(group);
  await services.dialplan.reloadXmlOnGroup(group, vscode.window.activeTextEditor?.document.uri);
}

/** A context: the known ones first (the active editor's preselected), or any name typed. */
async function pickContext(services: Services, preferred: string | undefined): Promise<string> {
  const names = [...new Set([preferred, ...services.dialplan.knownContexts(), 'default', 'public'].filter((n): n is string => !!n))];
  const pick = vscode.window.createQuickPick<vscode.QuickPickItem>();
  pick.title = 'Dialplan context';
  pick.placeholder = 'Context (pick one, or type a name and press Enter)';
  pick.items = names.map((label) => ({ label }));
  pick.ignoreFocusOut = true;
  const chosen = await new Promise<string | undefined>((resolve) => {
    pick.onDidAccept(() => {
      resolve(pick.selectedItems[0]?.label ?? (pick.value.trim() || undefined));
      pick.hide();
    });
    pick.onDidHide(() => resolve(undefined));
    pick.show();
  });
  pick.dispose();
  if (!chosen) throw new Cancelled();
  if (!/^[A-Za-z0-9_.\-+@:]+$/.test(chosen)) throw new Error(`"${chosen}" is not a context name FreeSWITCH can be asked for.`);
  return chosen;
}

/** FreeSWITCH: Show Effective Dialplan: the server's assembled context, read-only, with the same features. */
export async function showEffectiveDialplan(services: Services, node?: TreeNode): Promise<void> {
  const server = await pickServer(services, node?.kind === 'server' ? node : undefined, { connected: true });
  requireConnected(server);
  const active = vscode.window.activeTextEditor;
  const prefill = active ? services.dialplan.prefillFrom(active.document.uri, active.document.offsetAt(active.selection.active)) : {};
  const context = await pickContext(services, prefill.context);
  await services.dialplan.showEffective(server, context);
}

/**
 * FreeSWITCH: Trace a Call (palette; "Call this extension" lens with [uri, offset]): destination,
 * context and caller ID, prefilled from the extension's conditions when it can.
 */
export async function traceCall(services: Services, node?: TreeNode, args?: readonly unknown[]): Promise<void> {
  const fromLens = uriArg(args);
  const offset = typeof args?.[1] === 'number' ? args[1] : undefined;
  const active = vscode.window.activeTextEditor;
  const source = fromLens ?? (active && services.dialplan.isConfDocument(active.document) ? active.document.uri : undefined);
  const prefill = services.dialplan.prefillFrom(source, offset ?? (active && source === active.document.uri ? active.document.offsetAt(active.selection.active) : undefined));
  const server = await pickServer(services, node?.kind === 'server' ? node : undefined, { connected: true });
  requireConnected(server);
  const destination = await input({
    title: `Trace a Call on ${server.config.name} (1/3)`,
    prompt: 'Destination number to dial (as destination_number)',
    value: prefill.destination ?? '',
    validateInput: (v) => (/^[A-Za-z0-9_.\-+@:*#]+$/.test(v.trim()) ? undefined : 'Letters, digits and _ . - + @ : * # only'),
  });
  const context = await pickContext(services, prefill.context);
  const callerId = await input({
    title: `Trace a Call on ${server.config.name} (3/3)`,
    prompt: 'Caller ID: "Name <number>", a number, or empty',
    value: `Dialplan Trace <${prefill.callerIdNumber ?? '1000'}>`,
  });
  await services.dialplan.traceCall(server, { destination, context, ...parseCallerId(callerId) }, source);
}

/** Trace This Call (a call or session of the Calls tree): its trace from the lines recorded for it. */
export async function traceThisCall(services: Services, node?: TreeNode): Promise<void> {
  const { server, call } = await pickCall(services, node);
  const listener = requireConnected(server);
  const legs = services.dialplan.store.traceOf(server, listener, call.uuid);
  if (legs.length === 0) {
    const turnOn = 'Record Dialplan Traces';
    const message = services.dialplan.store.recording
      ? `No dialplan lines were recorded for this call: it was routed before recording started, or FreeSWITCH's own log level is below debug.`
      : `No dialplan lines were recorded for this call. Turn on recording to keep the dialplan lines of the next calls (the extension then asks for debug logs on its own connection).`;
    const choice = await vscode.window.showInformationMessage(message, ...(services.dialplan.store.recording ? [] : [turnOn]));
    if (choice === turnOn) await vscode.workspace.getConfiguration('freeswitch').update('dialplan.recordTraces', true, vscode.ConfigurationTarget.Global);
    return;
  }
  services.dialplan.traces.show({ server, uuid: call.uuid, legs, errors: [], live: call.sessions.some((s) => s.hungupAt === undefined), at: new Date() });
  await vscode.commands.executeCommand('setContext', 'freeswitch.dialplan.hasTrace', true);
  await vscode.commands.executeCommand('freeswitch.dialplanTrace.focus');
}

export async function clearTrace(services: Services): Promise<void> {
  services.dialplan.traces.clear();
}

export async function hangupTraceCall(services: Services): Promise<void> {
  const record = services.dialplan.traces.current;
  if (!record?.live) return;
  await services.dialplan.hangupTraced(record.server, record.uuid);
}

/** The traced call's timeline (freeswitch.call.timeline for that call). */
export async function openTraceTimeline(services: Services): Promise<void> {
  const record = services.dialplan.traces.current;
  if (!record) throw new Error('No call has been traced yet.');
  const listener = record.server.listener;
  const call = listener && callLegs(listener, record.uuid).call;
  if (!call) throw new Error(`The traced call is no longer known on ${record.server.config.name}.`);
  services.webviews.openTimeline(record.server, call);
}
