import { describe, expect, it } from 'vitest';
import { checkHost, classifyAddress } from '../../../src/ingest/url-guard.js';

describe('classifyAddress: only public unicast addresses may be fetched', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['100.64.0.1', 'carrier-grade NAT (shared)'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped IPv6 form of loopback'],
    ['::ffff:a00:1', 'IPv4-mapped IPv6 form of private'],
    ['[::ffff:169.254.169.254]', 'IPv4-mapped IPv6 form of link-local'],
    ['::7f00:1', 'IPv4-compatible IPv6 form of loopback'],
    ['64:ff9b::a00:1', 'NAT64 IPv6 form of private'],
    ['2002:c0a8:101::1', '6to4 IPv6 form of private'],
    // local-use NAT64 (RFC 8215): with its /48 the IPv4 address is not the last 32 bits (here
    // 10.0.0.1 in bits 48–63 and 72–87), so the tail 8.8.8.8 must not make it public
    ['64:ff9b:1:a00:0:108:808:808', 'local-use NAT64 (64:ff9b:1::/48)'],
    ['64:ff9b:1::808:808', 'local-use NAT64 (64:ff9b:1::/48)'],
    ['localhost', 'not an IP address'],
  ])('GIVEN %s THEN it is refused as %s', (address, range) => {
    expect(classifyAddress(address)).toEqual({ public: false, range });
  });

  it.each(['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])('GIVEN the public address %s THEN it is allowed', (address) => {
    expect(classifyAddress(address)).toEqual({ public: true, range: 'public' });
  });
});

describe('checkHost: every address a name resolves to is checked', () => {
  const resolve = async (host: string) => {
    if (host === 'split.example.test') return [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.7', family: 4 }];
    if (host === 'public.example.test') return [{ address: '93.184.216.34', family: 4 }, { address: '2606:4700::1', family: 6 }];
    throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
  };

  it('GIVEN a name with one public and one private address THEN it is refused, naming the private one', async () => {
    const r = await checkHost('split.example.test', { allowPrivate: false, resolve });
    expect(r).toEqual({ ok: false, code: 'URL_REFUSED_PRIVATE', message: expect.stringContaining('split.example.test resolves to 10.0.0.7, a private address') });
  });

  it('GIVEN DOCENT_ALLOW_PRIVATE_URLS THEN the same name is allowed with all its addresses', async () => {
    const r = await checkHost('split.example.test', { allowPrivate: true, resolve });
    expect(r.ok && r.value.map((a) => a.address)).toEqual(['93.184.216.34', '10.0.0.7']);
  });

  it('GIVEN a public name THEN all its addresses are returned to pin the connection to; an IP literal is checked without DNS', async () => {
    expect((await checkHost('public.example.test', { allowPrivate: false, resolve })).ok).toBe(true);
    expect(await checkHost('[::1]', { allowPrivate: false, resolve })).toMatchObject({ ok: false, code: 'URL_REFUSED_PRIVATE', message: expect.stringMatching(/^::1 is a loopback address/) });
  });

  it('GIVEN a name that does not resolve THEN URL_DNS_FAILED', async () => {
    expect(await checkHost('nowhere.example.test', { allowPrivate: false, resolve })).toMatchObject({ ok: false, code: 'URL_DNS_FAILED', message: expect.stringContaining('does not resolve (ENOTFOUND)') });
  });
});
