export {
  EventBus,
  type EventBusOptions,
  type Handler,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionStats,
} from "./bus.js";
export { EventLog, EventLogError } from "./event-log.js";
export { type BusEvent, CRITICAL_TOPICS, type EventTopics, type Topic } from "./topics.js";
