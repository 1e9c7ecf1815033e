import * as vscode from 'vscode';
import type { Services } from '../services';
import type { TreeNode } from '../tree/nodes';
import { runApiCommand } from './api';
import { debugApps, loadApp, newAppFromTemplate, openAppSource, originateIntoApp, reloadApp, showAppsLog, unloadApp } from './apps';
import {
  answerSession,
  executeApp,
  hangupAll,
  hangupCall,
  originateCall,
  parkSession,
  playOnSession,
  sendDtmf,
  setVariable,
  showChannelDetails,
} from './calls';
import { openConsole } from '../console/openConsole';
import { connectGroup, disconnectGroup, hangupAllOnGroup, openLoadTestOnGroup, runApiCommandOnGroup } from './groups';
import { renameGroup, setServerGroup, ungroup } from './groupSettings';
import { clearTrace, hangupTraceCall, openTraceTimeline, reloadXml, reloadXmlOnGroup, showEffectiveDialplan, traceCall, traceThisCall } from './dialplan';
import { streamLogs } from './logs';
import { openCallTimeline, openEventStream, showEventsForCall } from '../webviews/panels';
import { compareLoadTestRuns, openLoadProfile, openLoadTest, openLoadTestRun } from '../load/loadTestPanel';
import { compareLoadTestRunWith, deleteLoadTestRun, openLoadProfileFile, refreshLoadTests, revealLoadTestRun } from '../load/loadRunsTree';
import { lostRow } from './lostRow';
import { Cancelled } from './pickers';
import { openRecording, recordEvents, stopRecording } from '../recordings/recordings';
import { addServer, connectServer, disconnectServer, editServer, forgetPassword, removeServer, selectServer } from './servers';

/** `args` are the command's arguments as given (a lens passes a URI and an offset, say). */
type Handler = (services: Services, node?: TreeNode, args?: readonly unknown[]) => Promise<void>;

/**
 * Every command the extension registers. A test holds this table and package.json's
 * `contributes.commands` to the same ids.
 */
export const COMMANDS: Readonly<Record<string, Handler>> = {
  'freeswitch.server.add': addServer,
  'freeswitch.server.edit': editServer,
  'freeswitch.server.remove': removeServer,
  'freeswitch.server.connect': connectServer,
  'freeswitch.server.disconnect': disconnectServer,
  'freeswitch.server.forgetPassword': forgetPassword,
  'freeswitch.server.select': selectServer,
  'freeswitch.server.setGroup': setServerGroup,
  'freeswitch.group.connect': connectGroup,
  'freeswitch.group.disconnect': disconnectGroup,
  'freeswitch.group.runApi': runApiCommandOnGroup,
  'freeswitch.group.hangupAll': hangupAllOnGroup,
  'freeswitch.group.openLoadTest': openLoadTestOnGroup,
  'freeswitch.group.rename': renameGroup,
  'freeswitch.group.ungroup': ungroup,
  'freeswitch.call.originate': originateCall,
  'freeswitch.call.hangup': hangupCall,
  'freeswitch.call.hangupAll': hangupAll,
  'freeswitch.session.answer': answerSession,
  'freeswitch.session.park': parkSession,
  'freeswitch.session.playback': playOnSession,
  'freeswitch.session.sendDtmf': sendDtmf,
  'freeswitch.session.setVariable': setVariable,
  'freeswitch.session.execute': executeApp,
  'freeswitch.session.showDetails': showChannelDetails,
  'freeswitch.api.run': runApiCommand,
  'freeswitch.console.open': openConsole,
  'freeswitch.logs.stream': streamLogs,
  'freeswitch.app.unload': unloadApp,
  'freeswitch.app.load': loadApp,
  'freeswitch.app.reload': reloadApp,
  'freeswitch.app.openSource': openAppSource,
  'freeswitch.app.originate': originateIntoApp,
  'freeswitch.app.newFromTemplate': newAppFromTemplate,
  'freeswitch.app.debug': debugApps,
  'freeswitch.app.showLog': showAppsLog,
  'freeswitch.events.open': openEventStream,
  'freeswitch.events.showForCall': showEventsForCall,
  'freeswitch.call.timeline': openCallTimeline,
  'freeswitch.load.open': openLoadTest,
  'freeswitch.load.openRun': openLoadTestRun,
  'freeswitch.load.openProfile': openLoadProfile,
  'freeswitch.load.compareRuns': compareLoadTestRuns,
  'freeswitch.load.refreshRuns': refreshLoadTests,
  'freeswitch.load.compareRunWith': compareLoadTestRunWith,
  'freeswitch.load.revealRun': revealLoadTestRun,
  'freeswitch.load.deleteRun': deleteLoadTestRun,
  'freeswitch.load.openProfileFile': openLoadProfileFile,
  'freeswitch.events.record': recordEvents,
  'freeswitch.events.stopRecording': stopRecording,
  'freeswitch.recording.open': openRecording,
  'freeswitch.dialplan.reloadXml': reloadXml,
  'freeswitch.dialplan.reloadXmlOnGroup': reloadXmlOnGroup,
  'freeswitch.dialplan.showEffective': showEffectiveDialplan,
  'freeswitch.dialplan.traceCall': traceCall,
  'freeswitch.dialplan.traceThisCall': traceThisCall,
  'freeswitch.dialplan.clearTrace': clearTrace,
  'freeswitch.dialplan.hangupTraceCall': hangupTraceCall,
  'freeswitch.dialplan.openTraceTimeline': openTraceTimeline,
};

/** Tree nodes arrive as the first argument from menus; anything else (palette, keybinding) is ignored. */
function asNode(arg: unknown): TreeNode | undefined {
  if (arg && typeof arg === 'object' && 'kind' in arg && 'server' in arg) return arg as TreeNode;
  return undefined;
}

export function registerCommands(services: Services): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      if (lostRow(id, args)) {
        // Guessing would act on the wrong call, and a picker of every call is no better under
        // heavy traffic: say what happened and let the user click again.
        services.log.info(`${id}: the tree was redrawing the row as it was clicked; nothing was done`);
        void vscode.window.showInformationMessage('The view was redrawing that row as you clicked it, so nothing was done. Please click again.');
        return;
      }
      try {
        await handler(services, asNode(args[0]), args);
      } catch (err) {
        if (err instanceof Cancelled) return;
        const message = err instanceof Error ? err.message : String(err);
        services.log.error(`${id}: ${err instanceof Error && err.stack ? err.stack : message}`);
        void vscode.window.showErrorMessage(message);
      }
    }),
  );
}
