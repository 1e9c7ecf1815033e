/**
 * `freeswitch-dev/test`: call tests (run by `fsdev test` and the Test Explorer) and replays of
 * recorded ESL sessions into apps.
 *
 * ```ts
 * import { callTest, expect } from 'freeswitch-dev/test';
 * callTest('echo answers and returns my digits', async ({ originate }) => {
 *   const call = await originate('9196', { endpoint: 'loopback', app: 'park' });
 *   await expect(call).toBeAnswered({ within: 2000 });
 * });
 * ```
 */
export { callTest, describe, beforeEach, afterEach, useApp, type AppFixture, type CallTestFn, type CallTestFunction, type CallTestOptions, type HookFn } from './registry';
export { expect, DEFAULT_WITHIN_MS, type CallMatchers, type SessionMatchers, type ValueMatchers, type WaitOptions } from './expect';
export { CallTestError, CallTestTimeoutError } from './errors';
export { TEST_RUN_VAR, type CallTestContext, type TestOriginateOptions } from './context';
export { replay, ReplayError, type ReplayAction, type ReplayOptions, type ReplayResult } from './replay';
export { loadRecording, parseRecording, type Recording } from '../recording';
