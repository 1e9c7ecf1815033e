/**
 * The test server's tiny dialplan, standing in for FreeSWITCH's vanilla `default` context as the
 * captures were recorded (hold music pinned to a tone, the catch-all extension disabled).
 */

export interface DialplanAction {
  readonly app: string;
  readonly data: string;
}

/** `$${hold_music}` of the recording machine (README: no sound files installed). */
export const HOLD_MUSIC = 'tone_stream://%(1000,0,440);loops=-1';

const EXTENSIONS: Readonly<Record<string, readonly DialplanAction[]>> = {
  // vanilla "echo": answer, then echo (capture 04: answer() then echo() on the b-leg).
  '9196': [
    { app: 'answer', data: '' },
    { app: 'echo', data: '' },
  ],
  // vanilla "show_hold_music" as captured (10): answer, 2 s of silence, then hold music forever.
  '9664': [
    { app: 'answer', data: '' },
    { app: 'playback', data: 'silence_stream://2000' },
    { app: 'playback', data: HOLD_MUSIC },
  ],
  // Invented: a destination that answers and parks, for tests that want an idle answered leg.
  park: [
    { app: 'answer', data: '' },
    { app: 'park', data: '' },
  ],
};

/**
 * Invented context `park`, as switchio's docs have FreeSWITCH configured for ESL apps: every
 * destination parks without answering, so the inbound leg waits for an app (a Router) to take it:
 * `<extension name="park"><condition field="destination_number" expression="^.*$">
 * <action application="park"/></condition></extension>`.
 */
export const PARK_CONTEXT = 'park';

const PARK_EVERYTHING: readonly DialplanAction[] = [{ app: 'park', data: '' }];

/**
 * The actions for a destination, or undefined when nothing matches: FreeSWITCH then hangs the leg
 * up with NO_ROUTE_DESTINATION (capture 09). Every context but `park` resolves like `default`.
 */
export function findExtension(destination: string, context = 'default'): readonly DialplanAction[] | undefined {
  if (context === PARK_CONTEXT) return PARK_EVERYTHING;
  return Object.prototype.hasOwnProperty.call(EXTENSIONS, destination) ? EXTENSIONS[destination] : undefined;
}
