// Telling a row action whose row VS Code lost from a command run without a row. No vscode: tested.

/**
 * Commands in the Servers view's title bar. VS Code hands them the focused row, or undefined when
 * no row is focused. package.json's `view/title` menu names exactly these (a unit test holds them
 * to it).
 */
export const VIEW_TITLE_COMMANDS: ReadonlySet<string> = new Set([
  'freeswitch.server.add',
  'freeswitch.call.originate',
  // The Dialplan Trace view's title bar.
  'freeswitch.dialplan.traceCall',
  'freeswitch.dialplan.openTraceTimeline',
  'freeswitch.dialplan.hangupTraceCall',
  'freeswitch.dialplan.clearTrace',
  // The Load Tests view's title bar.
  'freeswitch.load.open',
  'freeswitch.load.compareRuns',
  'freeswitch.load.refreshRuns',
]);

/**
 * Whether a command arrived from a row's inline or context-menu action without its row. VS Code
 * forgets a row's handle while it redraws the rows around it, and converts the handle the action
 * carries to `undefined` (microsoft/vscode#144250; see docs/architecture.md). From the palette a
 * command gets no arguments at all, and from the title bar (VIEW_TITLE_COMMANDS) undefined means
 * that no row was focused.
 */
export function lostRow(id: string, args: readonly unknown[]): boolean {
  return args.length > 0 && args[0] === undefined && !VIEW_TITLE_COMMANDS.has(id);
}
