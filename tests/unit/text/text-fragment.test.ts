import { describe, expect, it } from 'vitest';
import { citationLink, encodeTextDirective, textFragment } from '../../../src/text/text-fragment.js';

describe('text fragments (#:~:text=) of cited quotes', () => {
  it('GIVEN the directive syntax characters THEN - & , are percent-encoded too, as are spaces and non-ASCII', () => {
    expect(encodeTextDirective('state-of-the-art, fast & cheap')).toBe('state%2Dof%2Dthe%2Dart%2C%20fast%20%26%20cheap');
    expect(encodeTextDirective('Wukong — Alibaba’s (new) AI!')).toBe('Wukong%20%E2%80%94%20Alibaba%E2%80%99s%20%28new%29%20AI%21');
  });

  it('GIVEN a short one-line quote THEN it is matched exactly', () => {
    expect(textFragment('Project Falcon is led by Mei Chen.')).toBe(':~:text=Project%20Falcon%20is%20led%20by%20Mei%20Chen.');
  });

  it('GIVEN a long quote THEN textStart,textEnd with five words each', () => {
    const quote = 'Announced March 17, Wukong is Alibaba’s enterprise AI platform — the answer to Microsoft Copilot Cowork, OpenAI Frontier, and Nvidia NemoClaw.';
    expect(textFragment(quote)).toBe(':~:text=Announced%20March%2017%2C%20Wukong%20is,OpenAI%20Frontier%2C%20and%20Nvidia%20NemoClaw.');
  });

  it('GIVEN a quote over several lines with Markdown marks THEN the start and the end come from the first and last visible lines', () => {
    expect(textFragment('## Setup\n- Install the agent on each host\n- Restart the service')).toBe(':~:text=Setup,Restart%20the%20service');
    expect(textFragment('| Model | Price |\n|---|---|\n| Qwen | free |')).toBe(':~:text=Model%20Price,Qwen%20free');
    expect(textFragment('  \n- \n')).toBeNull();
  });

  it('GIVEN a citation THEN a web page links with the fragment; a Discord jump link, a URL-less document and another fragment are handled', () => {
    const quote = 'Kestrels hover.';
    expect(citationLink({ url: 'https://docs.example.com/birds', quote })).toBe('https://docs.example.com/birds#:~:text=Kestrels%20hover.');
    expect(citationLink({ url: 'https://docs.example.com/birds#kestrel', quote })).toBe('https://docs.example.com/birds#kestrel:~:text=Kestrels%20hover.');
    expect(citationLink({ url: 'https://discord.com/channels/1/2/3', quote })).toBe('https://discord.com/channels/1/2/3');
    expect(citationLink({ url: 'https://ptb.discord.com/channels/1/2/3', quote })).toBe('https://ptb.discord.com/channels/1/2/3');
    expect(citationLink({ quote })).toBeUndefined();
  });
});
