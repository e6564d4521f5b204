// visual-reasoning/relay/node: a fetch handler served by node:http.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { RelayRequestInfo } from "./relay.js";

/** A fetch handler, such as the one `createRelay` returns. */
export type FetchHandler = (request: Request, info?: RelayRequestInfo) => Response | Promise<Response>;

/** A `node:http` request listener. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Turns a fetch handler into a `node:http` listener: request and response
 * bodies stream both ways with back-pressure, the Request's `signal` aborts
 * when the client goes away, and the handler gets the peer address and the
 * raw request-target in `info`.
 */
export function toNodeListener(handler: FetchHandler): NodeListener;

/** The connection-level limits of {@link createNodeServer}. */
export interface NodeServerOptions {
  /** Until a request head is complete, for every request of a connection (default 10 000 ms; 408 and close). 0 = none. */
  headerTimeoutMs?: number;
  /** Open connections in total (default 1024); beyond, new ones are closed at once. 0 = no cap. */
  maxConnections?: number;
  /** Open connections per client address (default 0 = no cap); beyond, a 503 and close. */
  maxConnectionsPerIp?: number;
  /** Where connection-level log lines go (default `console.error`). */
  log?: (line: string) => void;
}

/** An `http.Server` serving `handler` with {@link NodeServerOptions}; call `.listen()` on it. */
export function createNodeServer(handler: FetchHandler, options?: NodeServerOptions): Server;
