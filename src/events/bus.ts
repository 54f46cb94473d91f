/**
 * In-process event bus with typed topics.
 *
 * Delivery model: every subscriber has its own bounded FIFO queue and its own drain loop, so a
 * slow subscriber only delays itself and a throwing one only fails its own event (the error is
 * counted and reported through `onError`, the subscriber keeps receiving). `publish` never
 * waits for subscribers: it persists (critical topics) and enqueues, then returns.
 *
 * Overflow policy: when a subscriber's queue holds `queueSize` events, the OLDEST queued event
 * is dropped to make room and counted in `dropped`. Publishers are never blocked or failed by
 * a slow consumer. Critical events are in the event log before they are queued, so a
 * subscriber that dropped some can replay them from the log (`subscribe(..., { since })`).
 */
import { EventLog } from "./event-log.js";
import { type BusEvent, CRITICAL_TOPICS, type EventTopics, type Topic } from "./topics.js";

export type Handler<T extends Topic> = (event: BusEvent<T>) => void | Promise<void>;

export interface SubscribeOptions {
  /** Label in stats and error reports. */
  name?: string;
  /** Replay persisted (critical) events with seq > since before live ones; `0` replays all. */
  since?: number;
}

export interface SubscriptionStats {
  name: string;
  topics: string;
  depth: number;
  delivered: number;
  dropped: number;
  failed: number;
}

export interface Subscription {
  readonly name: string;
  unsubscribe(): void;
  stats(): SubscriptionStats;
}

export interface EventBusOptions {
  /** Per-subscriber queue bound (default 1000). */
  queueSize?: number;
  /** Persist critical events here (a path or an open log); without it, nothing is persisted. */
  log?: EventLog | string;
  /** Called when a subscriber throws; default: ignore (the failure is still counted). */
  onError?: (error: unknown, event: BusEvent, subscriber: string) => void;
}

class Subscriber {
  readonly queue: BusEvent[] = [];
  private head = 0;
  delivered = 0;
  dropped = 0;
  failed = 0;
  active = true;
  private running: Promise<void> | null = null;
  /** Replay cursor over the log: events with replayFrom < seq ≤ replayTo are still owed. */
  replayFrom = 0;
  replayTo = 0;

  constructor(
    readonly name: string,
    readonly topics: Topic[] | null,
    readonly handler: (event: BusEvent) => void | Promise<void>,
    private readonly bus: EventBus,
  ) {}

  depth(): number {
    return this.queue.length - this.head + Math.max(0, this.replayTo - this.replayFrom > 0 ? 1 : 0);
  }

  push(event: BusEvent, limit: number): void {
    if (this.queue.length - this.head >= limit) {
      this.head++;
      this.dropped++;
    }
    this.queue.push(event);
    this.kick();
  }

  kick(): void {
    if (this.running || !this.active) return;
    this.running = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  busy(): boolean {
    return this.active && (this.running !== null || this.depth() > 0);
  }

  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    try {
      while (this.active) {
        if (this.replayFrom < this.replayTo) {
          const page = this.bus.replayPage(this.topics, this.replayFrom, this.replayTo);
          if (page.length === 0) {
            this.replayFrom = this.replayTo;
            continue;
          }
          for (const replayed of page) {
            if (!this.active) return;
            this.replayFrom = replayed.seq ?? this.replayTo;
            await this.deliver(replayed);
          }
          continue;
        }
        if (this.head >= this.queue.length) break;
        const event = this.queue[this.head] as BusEvent;
        this.queue[this.head] = undefined as unknown as BusEvent;
        this.head++;
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue.splice(0, this.head);
          this.head = 0;
        }
        await this.deliver(event);
      }
    } finally {
      this.running = null;
      if (this.active && (this.head < this.queue.length || this.replayFrom < this.replayTo)) this.kick();
    }
  }

  private async deliver(event: BusEvent): Promise<void> {
    try {
      await this.handler(event);
      this.delivered++;
    } catch (error) {
      this.failed++;
      this.bus.reportError(error, event, this.name);
    }
  }
}

export class EventBus {
  private readonly subscribers = new Set<Subscriber>();
  private readonly queueSize: number;
  private readonly log: EventLog | null;
  private readonly ownsLog: boolean;
  private readonly onError: EventBusOptions["onError"];
  private counter = 0;
  private published = 0;

  constructor(options: EventBusOptions = {}) {
    this.queueSize = options.queueSize ?? 1000;
    this.ownsLog = typeof options.log === "string";
    this.log = typeof options.log === "string" ? EventLog.open(options.log) : (options.log ?? null);
    this.onError = options.onError;
  }

  /** Publish; returns once the event is persisted (critical topics) and queued for every subscriber. */
  publish<T extends Topic>(topic: T, payload: EventTopics[T]): BusEvent<T> {
    const at = Date.now();
    const event: BusEvent<T> = { topic, payload, at };
    if (this.log && CRITICAL_TOPICS.has(topic)) event.seq = this.log.append(topic, payload, at);
    this.published++;
    for (const subscriber of this.subscribers) {
      if (subscriber.topics === null || subscriber.topics.includes(topic))
        subscriber.push(event, this.queueSize);
    }
    return event;
  }

  /** Subscribe to one topic, several, or `"*"` (all). */
  subscribe<T extends Topic>(
    topics: T | T[] | "*",
    handler: Handler<T>,
    options: SubscribeOptions = {},
  ): Subscription {
    const list = topics === "*" ? null : Array.isArray(topics) ? topics : [topics];
    const name = options.name ?? `subscriber-${++this.counter}`;
    const subscriber = new Subscriber(name, list, handler as (event: BusEvent) => void | Promise<void>, this);
    if (options.since !== undefined && this.log) {
      subscriber.replayFrom = options.since;
      subscriber.replayTo = this.log.lastSeq();
    }
    this.subscribers.add(subscriber);
    subscriber.kick();
    return {
      name,
      unsubscribe: () => {
        subscriber.active = false;
        this.subscribers.delete(subscriber);
      },
      stats: () => this.statsOf(subscriber),
    };
  }

  /** @internal read a page of the log for a replaying subscriber. */
  replayPage(topics: Topic[] | null, after: number, upTo: number): BusEvent[] {
    return this.log ? this.log.read(topics, after, upTo) : [];
  }

  /** @internal */
  reportError(error: unknown, event: BusEvent, subscriber: string): void {
    try {
      this.onError?.(error, event, subscriber);
    } catch {
      // An error reporter that throws must not take the bus down either.
    }
  }

  /** Events waiting across all subscriber queues (a gauge for /metrics). */
  queueDepth(): number {
    let depth = 0;
    for (const subscriber of this.subscribers) depth += subscriber.depth();
    return depth;
  }

  stats(): { published: number; subscribers: SubscriptionStats[] } {
    return { published: this.published, subscribers: [...this.subscribers].map((s) => this.statsOf(s)) };
  }

  /** Resolve when every queue is empty (shutdown drains with this; tests wait on it). */
  async drain(): Promise<void> {
    for (;;) {
      const busy = [...this.subscribers].filter((s) => s.busy());
      if (busy.length === 0) return;
      await Promise.all(busy.map((s) => s.idle()));
    }
  }

  /** Stop delivering and close the log if the bus opened it. */
  close(): void {
    for (const subscriber of this.subscribers) subscriber.active = false;
    this.subscribers.clear();
    if (this.ownsLog) this.log?.close();
  }

  private statsOf(subscriber: Subscriber): SubscriptionStats {
    return {
      name: subscriber.name,
      topics: subscriber.topics?.join(",") ?? "*",
      depth: subscriber.depth(),
      delivered: subscriber.delivered,
      dropped: subscriber.dropped,
      failed: subscriber.failed,
    };
  }
}
