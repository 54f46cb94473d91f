/**
 * The request a piece of work is done for, carried through async calls (AsyncLocalStorage),
 * so that every log line written while serving a request names it: the gateway's own lines
 * and those of managers, stores and the embedder alike, which know nothing of HTTP.
 */
import { AsyncLocalStorage } from "node:async_hooks";

interface RequestContext {
  readonly reqId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Run `fn` (and everything it starts) as part of request `reqId`. */
export function runInRequest<T>(reqId: string, fn: () => T): T {
  return storage.run({ reqId }, fn);
}

/** The id of the request the current code runs for, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.reqId;
}
