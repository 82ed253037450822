export * from './config';
export * from './logger';
export * from './metrics';
export * from './postgres';
export * from './redis';
export * from './server';
export * from './migrate';
export { Outbox, sendEvent, EVENT_TYPE, type EventToEmit } from './cloudevents/outbox';
export { InvalidEvent, parseCloudEvent, PING_EVENT_TYPE, type EventHandler, type ScheduleHandler, type Transaction } from './cloudevents/receive';
