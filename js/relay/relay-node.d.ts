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
  /**
   * Until a request head is complete, for every request of a connection
   * (default 10 000 ms): 408 and close when part of a head came, a plain
   * close for a silent connection. Also how long an idle kept-alive
   * connection stays open. 0 = none.
   */
  headerTimeoutMs?: number;
  /** Open connections in total (default {@link defaultMaxConnections}); beyond, a 503 and close. 0 = no cap. */
  maxConnections?: number;
  /** Open connections per peer address (default 64); beyond, a 503 and close. 0 = no cap (behind a load balancer). */
  maxConnectionsPerIp?: number;
  /** Where connection-level log lines go (default `console.error`). */
  log?: (line: string) => void;
}

/** An `http.Server` serving `handler` with {@link NodeServerOptions}; call `.listen()` on it. */
export function createNodeServer(handler: FetchHandler, options?: NodeServerOptions): Server;

/**
 * The default total connection cap, as the Rust relay computes it: half of
 * the open-file limit less 128 (each stream holds two descriptors), within
 * 16..10 000; 1024 where the limit cannot be read.
 */
export function defaultMaxConnections(): number;
