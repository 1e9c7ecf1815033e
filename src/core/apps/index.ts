/**
 * Call-control apps: the app API, the Router, and the built-in apps. See README "Apps".
 */
export {
  defineApp,
  validateApp,
  CHANNEL_EVENT_NAMES,
  isChannelEventName,
  type App,
  type AppCallback,
  type AppCallbacks,
  type AppContext,
  type AppError,
  type AppVersionInfo,
  type ChannelEventName,
  type ChannelVariable,
  type KnownChannelVariable,
  type LoadedApp,
} from './app';
export { Router, type RouteContext, type RouteGuard, type RouteHandler, type RouteOptions, type RouterOptions } from './router';
export {
  builtinApps,
  bridger,
  calleeBlockOnInvite,
  calleeRingback,
  dtmfChecker,
  echo,
  parkAndHold,
  tonePlay,
  type BridgerOptions,
  type CalleeBlockOnInviteOptions,
  type CalleeRingbackOptions,
  type DtmfCheckResult,
  type DtmfCheckerApp,
  type DtmfCheckerOptions,
  type ParkAndHoldOptions,
  type TonePlayOptions,
} from './builtin';
