/**
 * A local web server for the URL-source tests (node:http on 127.0.0.1, no network): pages with
 * ETag / Last-Modified that answer 304 to a matching conditional request, redirects, raw
 * handlers, and a record of every request with the headers it carried.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PageSpec {
  body: string | Buffer;
  type?: string;
  etag?: string;
  lastModified?: string;
  status?: number;
}

export interface RecordedPageRequest {
  path: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
}

export interface PageServer {
  readonly origin: string;
  url(path: string): string;
  requests: RecordedPageRequest[];
  /** Serves `spec` at `path` (replacing what was there). */
  page(path: string, spec: PageSpec): void;
  redirect(path: string, location: string, status?: number): void;
  handle(path: string, handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): void;
  /** Serves `spec` at `path`, but holds every request until `release()`: `arrived` resolves once one has come. */
  gated(path: string, spec: PageSpec): { arrived: Promise<void>; release(): void };
  /** The requests made for `path`. */
  hits(path: string): RecordedPageRequest[];
  close(): Promise<void>;
}

function serve(spec: PageSpec) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (spec.etag && req.headers['if-none-match'] === spec.etag) return void res.writeHead(304, { etag: spec.etag }).end();
    const headers: Record<string, string | number> = { 'content-type': spec.type ?? 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(spec.body) };
    if (spec.etag) headers.etag = spec.etag;
    if (spec.lastModified) headers['last-modified'] = spec.lastModified;
    res.writeHead(spec.status ?? 200, headers).end(spec.body);
  };
}

export async function startPageServer(): Promise<PageServer> {
  const routes = new Map<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>();
  const requests: RecordedPageRequest[] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ path, ifNoneMatch: req.headers['if-none-match'], ifModifiedSince: req.headers['if-modified-since'] });
    const route = routes.get(path);
    if (route) route(req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (path) => `${origin}${path}`,
    requests,
    page(path, spec) {
      routes.set(path, serve(spec));
    },
    gated(path, spec) {
      let arrive!: () => void;
      let release!: () => void;
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      routes.set(path, (req, res) => {
        arrive();
        void released.then(() => serve(spec)(req, res));
      });
      return { arrived, release };
    },
    redirect(path, location, status = 302) {
      routes.set(path, (_req, res) => void res.writeHead(status, { location }).end());
    },
    handle(path, handler) {
      routes.set(path, handler);
    },
    hits: (path) => requests.filter((r) => r.path === path),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
