/**
 * A feed source on 127.0.0.1 (port 0) that a test scripts. Each path serves a FeedReply, which the test
 * replaces between refreshes so the next download changes, fails, stalls or is cut short. A conditional
 * request gets 304 when If-None-Match names the reply's ETag or, without If-None-Match, when
 * If-Modified-Since is not older than the reply's Last-Modified.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface FeedReply {
  /** Status of a full reply, 200 when absent. */
  readonly status?: number;
  readonly body?: string | Buffer;
  /** Content-Type, `text/plain; charset=utf-8` when absent. */
  readonly contentType?: string;
  readonly etag?: string;
  readonly lastModified?: string;
  /** Whether the body is sent gzip-compressed with Content-Encoding: gzip. */
  readonly gzip?: boolean;
  /** Wait before the status line, in milliseconds. */
  readonly delayMs?: number;
  /** Bytes sent before the socket is destroyed, while Content-Length announces the whole body. */
  readonly truncateAt?: number;
  /** Number of pieces the body is written in, `chunkDelayMs` apart. */
  readonly chunks?: number;
  readonly chunkDelayMs?: number;
  /** Gate that delays the reply until it opens. */
  readonly gate?: Gate;
}

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

/** A latch that keeps replies waiting until `open()` is called. */
export class Gate {
  readonly opened: Promise<void>;
  open!: () => void;

  constructor() {
    this.opened = new Promise((resolve) => {
      this.open = resolve;
    });
  }
}

export class FeedServer {
  readonly received: ReceivedRequest[] = [];
  /** Replies being sent now, and the maximum of that number since the last `resetPeak()`. */
  inFlight = 0;
  peakInFlight = 0;
  private readonly replies = new Map<string, FeedReply>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly base: string,
  ) {}

  static async start(): Promise<FeedServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const feedServer = new FeedServer(server, `http://127.0.0.1:${port}`);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      feedServer.handle(request, response).catch(() => response.destroy());
    });
    return feedServer;
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  /** Sets what `path` serves from the next request on. */
  serve(path: string, reply: FeedReply): void {
    this.replies.set(path, reply);
  }

  /** Requests received for `path`. */
  requests(path: string): ReceivedRequest[] {
    return this.received.filter((request) => request.path === path);
  }

  count(path: string): number {
    return this.requests(path).length;
  }

  resetPeak(): void {
    this.peakInFlight = this.inFlight;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0]!;
    this.received.push({ path, headers: request.headers });
    const reply = this.replies.get(path);
    if (reply === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }

    // The reply counts as in flight until the response closes, whether it finished or the client left.
    this.inFlight += 1;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    let closed = false;
    response.on('close', () => {
      closed = true;
      this.inFlight -= 1;
    });

    if (reply.gate !== undefined) await reply.gate.opened;
    if (reply.delayMs !== undefined) await this.sleep(reply.delayMs);
    if (closed) return;

    const validators: Record<string, string> = {
      ...(reply.etag === undefined ? {} : { etag: reply.etag }),
      ...(reply.lastModified === undefined ? {} : { 'last-modified': reply.lastModified }),
    };
    const status = reply.status ?? 200;
    if (status === 200 && notModified(request.headers, reply)) {
      response.writeHead(304, validators).end();
      return;
    }

    let body = Buffer.from(reply.body ?? '');
    const headers: Record<string, string> = { 'content-type': reply.contentType ?? 'text/plain; charset=utf-8', ...validators };
    if (reply.gzip === true) {
      body = gzipSync(body);
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = String(body.length);
    response.writeHead(status, headers);

    if (reply.truncateAt !== undefined) {
      response.write(body.subarray(0, reply.truncateAt), () => response.socket?.destroy());
      return;
    }
    const chunks = Math.max(1, reply.chunks ?? 1);
    const size = Math.ceil(body.length / chunks);
    for (let index = 0; index < chunks; index++) {
      if (index > 0) await this.sleep(reply.chunkDelayMs ?? 0);
      if (closed) return;
      response.write(body.subarray(index * size, (index + 1) * size));
    }
    response.end();
  }
}

function notModified(headers: IncomingHttpHeaders, reply: FeedReply): boolean {
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined) return reply.etag !== undefined && ifNoneMatch === reply.etag;
  const ifModifiedSince = headers['if-modified-since'];
  if (ifModifiedSince === undefined || reply.lastModified === undefined) return false;
  return Date.parse(ifModifiedSince) >= Date.parse(reply.lastModified);
}
