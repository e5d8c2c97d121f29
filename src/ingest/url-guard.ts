/**
 * The SSRF guard of URL documents: a page is fetched only from public addresses. Every address a
 * host name resolves to is checked (a name with one public and one private address is refused),
 * and the connection is then pinned to the checked addresses (`pinnedLookup`), so a second DNS
 * answer cannot swap in another one between the check and the connect. The range classification
 * is ipaddr.js's (RFC 6890 special-purpose ranges), not our own CIDR arithmetic.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import type { Result } from '../types.js';

/** Why an address is not public, as a person reads it. */
const RANGE_NAMES: Record<string, string> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT (shared)',
  private: 'private',
  reserved: 'reserved',
  benchmarking: 'benchmarking',
  amt: 'AMT relay',
  as112: 'AS112',
  as112v6: 'AS112',
  uniqueLocal: 'unique-local',
  deprecatedSiteLocal: 'site-local',
  discard: 'discard-only',
  teredo: 'Teredo tunnel',
  orchid2: 'ORCHID',
  droneRemoteIdProtocolEntityTags: 'reserved',
};

/** IPv6 forms that carry an IPv4 address, and where it sits: judged by that address. */
const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');
/** The well-known NAT64 prefix: the IPv4 address is the last 32 bits. */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
/**
 * The local-use NAT64 prefix (RFC 8215): a network's own translator, and with a /48 prefix
 * RFC 6052 puts the IPv4 address in bits 48–63 and 72–87, not the last 32, so reading the last
 * 32 bits would judge another address. Refused outright.
 */
const NAT64_LOCAL_USE = ipaddr.IPv6.parseCIDR('64:ff9b:1::/48');

export interface AddressClass {
  /** True for a public unicast address (or an IPv6 form of one). */
  public: boolean;
  /** `loopback`, `private`, `link-local` …, or `public`; prefixed for an IPv6 form of an IPv4 one. */
  range: string;
}

/**
 * Classifies an IP address (v4 or v6, with or without brackets or a zone). IPv4-mapped,
 * IPv4-compatible, IPv4-translated, NAT64 (64:ff9b::/96) and 6to4 addresses are judged by the
 * IPv4 address they carry, so `::ffff:127.0.0.1` is loopback; the local-use NAT64 prefix
 * 64:ff9b:1::/48 is refused. Not an address: not public.
 */
export function classifyAddress(address: string): AddressClass {
  const raw = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(raw)) return { public: false, range: 'not an IP address' };
  const ip = ipaddr.parse(raw);
  if (ip.kind() === 'ipv4') {
    const range = (ip as ipaddr.IPv4).range();
    return range === 'unicast' ? { public: true, range: 'public' } : { public: false, range: RANGE_NAMES[range] ?? range };
  }
  const v6 = ip as ipaddr.IPv6;
  if (v6.match(NAT64_LOCAL_USE)) return { public: false, range: 'local-use NAT64 (64:ff9b:1::/48)' };
  const embedded = embeddedIPv4(v6);
  if (embedded) {
    const inner = classifyAddress(embedded.address);
    return inner.public ? inner : { public: false, range: `${embedded.form} form of ${inner.range}` };
  }
  const range = v6.range();
  return range === 'unicast' ? { public: true, range: 'public' } : { public: false, range: RANGE_NAMES[range] ?? range };
}

function embeddedIPv4(ip: ipaddr.IPv6): { address: string; form: string } | null {
  const p = ip.parts;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  switch (ip.range()) {
    case 'ipv4Mapped':
      return { address: v4(p[6], p[7]), form: 'IPv4-mapped IPv6' };
    case 'rfc6145':
      return { address: v4(p[6], p[7]), form: 'IPv4-translated IPv6' };
    case 'rfc6052':
      // only under 64:ff9b::/96 is the IPv4 address the last 32 bits (the /48 is refused before)
      return ip.match(NAT64_WELL_KNOWN) ? { address: v4(p[6], p[7]), form: 'NAT64 IPv6' } : null;
    case '6to4':
      return { address: v4(p[1], p[2]), form: '6to4 IPv6' };
    case 'unspecified':
    case 'loopback':
      return null;
  }
  return ip.match(IPV4_COMPATIBLE) ? { address: v4(p[6], p[7]), form: 'IPv4-compatible IPv6' } : null;
}

export type GuardErrorCode = 'URL_REFUSED_PRIVATE' | 'URL_DNS_FAILED';

/** Resolves a host name to all its addresses (`dns.lookup`, as connections do: /etc/hosts included). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface GuardOptions {
  /** DOCENT_ALLOW_PRIVATE_URLS: every address is allowed. */
  allowPrivate: boolean;
  resolve?: Resolver;
  /** Which addresses count as public (default `classifyAddress`). */
  classify?: (address: string) => AddressClass;
  /**
   * Ends the wait for DNS (the fetch's time limit, or a stop): `checkHost` then rejects with the
   * signal's reason. getaddrinfo itself cannot be cancelled; its answer, if it ever comes, is dropped.
   */
  signal?: AbortSignal;
}

/** `work`, or the signal's reason as soon as it aborts, whichever comes first. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}

/**
 * The addresses `hostname` (a URL's hostname: an IPv6 literal in brackets is fine) may be
 * connected to: all it resolves to, each checked. Refused when any one is not public (unless
 * `allowPrivate`), or when it does not resolve.
 */
export async function checkHost(hostname: string, opts: GuardOptions): Promise<Result<LookupAddress[], GuardErrorCode>> {
  const host = hostname.replace(/^\[|\]$/g, '');
  let addresses: LookupAddress[];
  if (ipaddr.isValid(host)) addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
  else {
    try {
      addresses = await raceAbort((opts.resolve ?? systemResolver)(host), opts.signal);
    } catch (err) {
      // out of time (or stopped) while waiting for DNS: the fetch reports it as such
      if (opts.signal?.aborted) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      return { ok: false, code: 'URL_DNS_FAILED', message: `the host name ${host} does not resolve (${code})` };
    }
    if (addresses.length === 0) return { ok: false, code: 'URL_DNS_FAILED', message: `the host name ${host} has no address` };
  }
  if (opts.allowPrivate) return { ok: true, value: addresses };
  const classify = opts.classify ?? classifyAddress;
  for (const a of addresses) {
    const c = classify(a.address);
    if (!c.public) {
      const what = host === a.address ? `${host} is a ${c.range} address` : `${host} resolves to ${a.address}, a ${c.range} address`;
      return { ok: false, code: 'URL_REFUSED_PRIVATE', message: `${what}; Docent fetches public addresses only (DOCENT_ALLOW_PRIVATE_URLS=true allows others)` };
    }
  }
  return { ok: true, value: addresses };
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for `net.connect` (undici's `connect` option) that answers with the addresses the
 * guard checked instead of asking DNS again: the connection goes where the check looked.
 */
export function pinnedLookup(addresses: LookupAddress[]) {
  return (_hostname: string, options: { all?: boolean; family?: number | string } | undefined, callback: LookupCallback): void => {
    const family = options?.family === 'IPv4' ? 4 : options?.family === 'IPv6' ? 6 : Number(options?.family) || 0;
    const fitting = family ? addresses.filter((a) => a.family === family) : addresses;
    if (fitting.length === 0) {
      const err: NodeJS.ErrnoException = Object.assign(new Error(`no IPv${family} address was checked for this host`), { code: 'ENOTFOUND' });
      callback(err, '', 0);
      return;
    }
    if (options?.all) callback(null, fitting);
    else callback(null, fitting[0].address, fitting[0].family);
  };
}
