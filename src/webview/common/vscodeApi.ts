/** The webview side of postMessage: `acquireVsCodeApi()` may be called once per load. */
export interface VsCodeApi<Command> {
  postMessage(message: Command): void;
}

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

export function vscodeApi<Command>(): VsCodeApi<Command> {
  const api = acquireVsCodeApi();
  return { postMessage: (m: Command) => api.postMessage(m) };
}
