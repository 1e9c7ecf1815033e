/**
 * FreeSWITCH Dev core: an ESL client and switchio-style models, usable from Node without VS Code.
 */
export { Client } from './client';
export { EventListener, LISTENER_EVENTS, type EventListenerOptions, type ListenerStats } from './listener';
export { Job } from './models/job';
export { Session, COMMON_HANGUP_CAUSES, type SessionHost } from './models/session';
export { Call } from './models/call';
export {
  defineApp,
  validateApp,
  CHANNEL_EVENT_NAMES,
  isChannelEventName,
  Router,
  builtinApps,
  bridger,
  calleeBlockOnInvite,
  calleeRingback,
  dtmfChecker,
  echo,
  parkAndHold,
  tonePlay,
  type App,
  type AppCallback,
  type AppCallbacks,
  type AppContext,
  type AppError,
  type AppVersionInfo,
  type BridgerOptions,
  type CalleeBlockOnInviteOptions,
  type CalleeRingbackOptions,
  type ChannelEventName,
  type ChannelVariable,
  type DtmfCheckResult,
  type DtmfCheckerApp,
  type DtmfCheckerOptions,
  type KnownChannelVariable,
  type LoadedApp,
  type ParkAndHoldOptions,
  type RouteContext,
  type RouteGuard,
  type RouteHandler,
  type RouteOptions,
  type RouterOptions,
  type TonePlayOptions,
} from './apps';
export { buildOriginate, endpointUrl, variableBlock, APP_ID_VAR, CALL_ID_VAR, type Endpoint, type EndpointSpec, type OriginateCommand, type OriginateOptions } from './dialString';
export {
  Connection,
  type ConnectionOptions,
  type ConnectionStats,
  type ConnectionStatus,
  type EslLogger,
  type LogLine,
  type MalformedFrame,
  type StatusChange,
} from './esl/connection';
export { EslEvent, decodeEventFrame, type EventFormat } from './esl/event';
export { FrameParser, type EslFrame, type FrameParserOptions } from './esl/parser';
export { reconnectDelay, DEFAULT_RECONNECT_POLICY, type ReconnectPolicy } from './esl/reconnect';
export {
  AccessDeniedError,
  ApiError,
  AuthError,
  CommandError,
  CommandTimeoutError,
  ConnectionClosedError,
  ConnectTimeoutError,
  EslError,
  FrameTooLargeError,
  JobError,
  UnsafeInputError,
} from './esl/errors';
export { Emitter, DisposableStore, toDisposable, type Disposable, type Event } from './util/lifecycle';
