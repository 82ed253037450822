export * from './config';
export * from './logger';
export * from './metrics';
export * from './postgres';
export * from './redis';
export * from './server';
export * from './migrate';
export { Outbox, sendEvent, EVENT_TYPE, type EventToEmit } from './cloudevents/outbox';
export {
  EventIssuer,
  EventUnauthenticated,
  SenderIdentity,
  SenderKeysUnavailable,
  SinkToken,
} from './cloudevents/sender-identity';
export {
  eventHandlers,
  InvalidEvent,
  on,
  parseCloudEvent,
  refuseUnauthenticated,
  PING_EVENT_TYPE,
  type ContractHandler,
  type EventContract,
  type EventHandler,
  type EventHandlerBody,
  type ScheduleHandler,
  type Transaction,
} from './cloudevents/receive';
export * from './operators';
export * from './http-client';
export * from './unavailable';
export * from './bounded-map';
export * from './connection';
