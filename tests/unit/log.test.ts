import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger, redact, redactUrl } from '../../src/log.js';

describe('secrets by their shape, registered or not', () => {
  it('GIVEN user:password@ in a URL, a bot-token shape, an sk- key and a Bearer header in a log line THEN none is written', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (l) => lines.push(l) });
    const token = 'OTk5OTk5OTk5OTk5OTk5OTk5.Gx1y2z.abcdefghijklmnopqrstuvwxyz0123';
    logger.warn('LLM answerer failed', {
      error: 'HTTP 500 from https://docent:s3cret-in-url@llm.example/v1',
      header: 'authorization: Bearer abcdefghijklmnop0123456789',
      note: `token ${token}, key sk-proj-abcdefghijklmnop1234`,
    });
    const out = lines.join('\n');
    for (const secret of ['s3cret-in-url', 'docent:', token, 'sk-proj-abcdefghijklmnop1234', 'abcdefghijklmnop0123456789']) expect(out).not.toContain(secret);
    expect(out).toContain('https://[redacted]@llm.example/v1');
  });

  it('GIVEN ordinary text THEN nothing is redacted', () => {
    const text = 'risk-adjusted returns at https://example.com/a@b, v1.2.3, gen-000042, sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
    expect(redact(text)).toBe(text);
  });

  it('GIVEN a *_BASE_URL with a password THEN the password alone is redacted too, wherever it shows up', () => {
    loadConfig({ DOCENT_LLM_BASE_URL: 'https://docent:pw%2Fwith-slash@llm.example/v1' });
    expect(redact('proxy said: bad password pw/with-slash')).toBe('proxy said: bad password [redacted]');
    expect(redactUrl('https://docent:pw%2Fwith-slash@llm.example/v1')).toBe('https://[redacted]@llm.example/v1');
  });

  it('GIVEN a URL whose query carries a secret THEN redactUrl hides the value, not the parameter or the rest', () => {
    expect(redactUrl('https://u:p@docs.example/a?token=abc123&page=2&access_token=x.y.z#top')).toBe('https://[redacted]@docs.example/a?token=[redacted]&page=2&access_token=[redacted]#top');
    expect(redactUrl('https://s3.example/f.pdf?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=deadbeef&api_key=k1&sig=s')).toBe('https://s3.example/f.pdf?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]&api_key=[redacted]&sig=[redacted]');
    expect(redactUrl('https://docs.example/search?q=token&lang=en')).toBe('https://docs.example/search?q=token&lang=en');
  });
});
