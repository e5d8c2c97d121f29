/**
 * The guarded fetch of URL documents against a local HTTP server: with DOCENT_ALLOW_PRIVATE_URLS
 * off, loopback and every private hop of a redirect are refused before any connection; size,
 * redirect and time limits; a clear code per failure.
 */
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchUrl, type FetchOptions } from '../../src/ingest/fetch-url.js';
import { classifyAddress } from '../../src/ingest/url-guard.js';
import { startPageServer, type PageServer } from '../support/page-server.js';

let web: PageServer;
beforeAll(async () => {
  web = await startPageServer();
});
afterAll(() => web.close());

const limits = { maxBytes: 4096, timeoutMs: 10_000, maxRedirects: 5 };
/** The guard as configured by default: private addresses refused. */
const guarded: FetchOptions = { ...limits, allowPrivate: false };
/**
 * `docs.example.test` stands for a public site: it "resolves" to the test server's address, which
 * only this policy counts as public (no test may reach a real public address).
 */
const publicLooking: FetchOptions = {
  ...guarded,
  resolve: async (host) => {
    if (host === 'docs.example.test') return [{ address: '127.0.0.1', family: 4 }];
    if (host === 'intranet.example.test') return [{ address: '10.0.0.7', family: 4 }];
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  },
  classify: (a) => (a === '127.0.0.1' ? { public: true, range: 'public' } : classifyAddress(a)),
};
const port = () => new URL(web.origin).port;

describe('SSRF guard (DOCENT_ALLOW_PRIVATE_URLS off)', () => {
  it('GIVEN a loopback URL, by address or by name THEN URL_REFUSED_PRIVATE and the server sees no request', async () => {
    web.page('/secret', { body: '<p>internal</p>' });
    expect(await fetchUrl(web.url('/secret'), guarded)).toEqual({
      ok: false,
      code: 'URL_REFUSED_PRIVATE',
      message: '127.0.0.1 is a loopback address; Docent fetches public addresses only (DOCENT_ALLOW_PRIVATE_URLS=true allows others)',
    });
    expect(await fetchUrl(`http://localhost:${port()}/secret`, guarded)).toMatchObject({ ok: false, code: 'URL_REFUSED_PRIVATE', message: expect.stringMatching(/^localhost resolves to (127\.0\.0\.1|::1), a loopback address/) });
    expect(await fetchUrl(`http://[::ffff:127.0.0.1]:${port()}/secret`, guarded)).toMatchObject({ ok: false, code: 'URL_REFUSED_PRIVATE', message: expect.stringContaining('IPv4-mapped IPv6 form of loopback') });
    expect(web.hits('/secret')).toEqual([]);
  });

  it.each([
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data/', 'it redirects to http://169.254.169.254/latest/meta-data/, and 169.254.169.254 is a link-local address'],
    ['a name that resolves to a private address', 'http://intranet.example.test/admin', 'it redirects to http://intranet.example.test/admin, and intranet.example.test resolves to 10.0.0.7, a private address'],
    ['an IPv4-mapped IPv6 private address', 'http://[::ffff:10.0.0.1]/', 'it redirects to http://[::ffff:a00:1]/, and ::ffff:a00:1 is a IPv4-mapped IPv6 form of private address'],
  ])('GIVEN a public-looking page that redirects to %s THEN that hop is refused before connecting', async (_what, target, message) => {
    web.redirect('/moved', target);
    const r = await fetchUrl(`http://docs.example.test:${port()}/moved`, publicLooking);
    expect(r).toMatchObject({ ok: false, code: 'URL_REFUSED_PRIVATE' });
    expect(!r.ok && r.message).toContain(message);
  });

  it('GIVEN a public-looking host THEN the connection goes to the address the guard checked (pinned: no second DNS lookup)', async () => {
    web.page('/pinned', { body: '<p>pinned</p>' });
    const r = await fetchUrl(`http://docs.example.test:${port()}/pinned`, publicLooking);
    expect(r.ok && r.value.status === 'ok' && r.value.bytes.toString()).toBe('<p>pinned</p>');
  });

  it('GIVEN other schemes or credentials THEN URL_INVALID, also as a redirect target, and the credentials are not echoed', async () => {
    expect(await fetchUrl('file:///etc/passwd', guarded)).toMatchObject({ ok: false, code: 'URL_INVALID', message: 'is a file: URL; only http and https are fetched' });
    const creds = await fetchUrl('https://admin:hunter2@docs.example.test/', guarded);
    expect(creds).toMatchObject({ ok: false, code: 'URL_INVALID' });
    expect(JSON.stringify(creds)).not.toContain('hunter2');
    web.redirect('/to-file', 'file:///etc/passwd');
    expect(await fetchUrl(`http://docs.example.test:${port()}/to-file`, publicLooking)).toMatchObject({ ok: false, code: 'URL_INVALID', message: 'it redirects to a file: URL; only http and https are fetched' });
  });
});

describe('limits (DOCENT_ALLOW_PRIVATE_URLS on, as for an intranet)', () => {
  const open: FetchOptions = { ...limits, allowPrivate: true };

  it('GIVEN a page over DOCENT_URL_MAX_BYTES, declared or streamed THEN URL_TOO_LARGE', async () => {
    web.page('/big', { body: 'x'.repeat(5000), type: 'text/plain' });
    expect(await fetchUrl(web.url('/big'), open)).toEqual({ ok: false, code: 'URL_TOO_LARGE', message: 'the page is 4.9 KB, over the 4 KB limit (DOCENT_URL_MAX_BYTES)' });
    web.handle('/stream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }); // chunked: no length to check first
      for (let i = 0; i < 10; i++) res.write('y'.repeat(1000));
      res.end();
    });
    expect(await fetchUrl(web.url('/stream'), open)).toEqual({ ok: false, code: 'URL_TOO_LARGE', message: 'the page is over the 4 KB limit (DOCENT_URL_MAX_BYTES)' });
  });

  it('GIVEN a redirect loop THEN URL_TOO_MANY_REDIRECTS after 5 hops', async () => {
    for (let i = 0; i < 10; i++) web.redirect(`/hop${i}`, `/hop${i + 1}`, 301);
    expect(await fetchUrl(web.url('/hop0'), open)).toEqual({ ok: false, code: 'URL_TOO_MANY_REDIRECTS', message: 'it redirects more than 5 times' });
    expect(web.requests.filter((r) => r.path.startsWith('/hop')).map((r) => r.path)).toEqual(['/hop0', '/hop1', '/hop2', '/hop3', '/hop4', '/hop5']);
  });

  it('GIVEN a server that never answers THEN URL_TIMEOUT at DOCENT_URL_TIMEOUT_MS', async () => {
    web.handle('/hang', () => {}); // holds the request until the server closes
    expect(await fetchUrl(web.url('/hang'), { ...open, timeoutMs: 200 })).toEqual({ ok: false, code: 'URL_TIMEOUT', message: 'no complete answer within 200 ms (DOCENT_URL_TIMEOUT_MS)' });
  });

  it('GIVEN a DNS lookup that never answers THEN URL_TIMEOUT at DOCENT_URL_TIMEOUT_MS: the time limit covers the lookup', async () => {
    const stuck: FetchOptions = { ...guarded, timeoutMs: 200, resolve: () => new Promise(() => {}) };
    expect(await fetchUrl('http://stuck.example.test/', stuck)).toEqual({ ok: false, code: 'URL_TIMEOUT', message: 'no complete answer within 200 ms (DOCENT_URL_TIMEOUT_MS)' });
  });

  it('GIVEN a DNS lookup under way WHEN the fetch is stopped THEN URL_CANCELLED at once', async () => {
    const stop = new AbortController();
    let asked!: () => void;
    const lookingUp = new Promise<void>((resolve) => (asked = resolve));
    const fetching = fetchUrl('http://stuck.example.test/', { ...guarded, signal: stop.signal, resolve: () => (asked(), new Promise(() => {})) });
    await lookingUp;
    stop.abort();
    expect(await fetching).toEqual({ ok: false, code: 'URL_CANCELLED', message: 'the fetch was stopped (Docent is shutting down)' });
  });

  it('GIVEN an error status or a dropped connection THEN the status or the socket error, never a stack trace', async () => {
    expect(await fetchUrl(web.url('/missing'), open)).toEqual({ ok: false, code: 'URL_HTTP_STATUS', message: 'the server answered 404 Not Found' });
    // a server that takes each connection and drops it at once: nothing else can answer on its
    // port while it listens (a closed server's port could be taken by another process meanwhile)
    const dropping = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve));
    try {
      const dropped = await fetchUrl(`http://127.0.0.1:${(dropping.address() as AddressInfo).port}/`, open);
      expect(dropped).toMatchObject({ ok: false, code: 'URL_UNREACHABLE', message: expect.stringMatching(/^could not be fetched: (UND_ERR_SOCKET|ECONNRESET)\b/) });
      expect(JSON.stringify(dropped)).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise<void>((resolve) => dropping.close(() => resolve()));
    }
  });
});
