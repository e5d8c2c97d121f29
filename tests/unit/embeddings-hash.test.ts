import { describe, expect, it } from 'vitest';
import { HashEmbeddings } from '../../src/embeddings/hash.js';
import { cosine } from '../../src/text/vector.js';

describe('HashEmbeddings', () => {
  it('GIVEN texts sharing words THEN they are more similar than texts sharing none', () => {
    const h = new HashEmbeddings();
    const a = h.embed('operating income dropped sharply');
    expect(cosine(a, h.embed('Operating income DROPPED in the quarter'))).toBeGreaterThan(cosine(a, h.embed('cloud revenue grew strongly')));
  });

  it('GIVEN the same words in another order THEN the bigrams make the vectors differ', () => {
    const h = new HashEmbeddings();
    expect(h.embed('income dropped')).not.toEqual(h.embed('dropped income'));
  });

  it('GIVEN a dimension count THEN the id records it and bad counts are refused', () => {
    expect(new HashEmbeddings({ dimensions: 32 }).id).toBe('hash:32');
    expect(() => new HashEmbeddings({ dimensions: 1 })).toThrow(RangeError);
    expect(() => new HashEmbeddings({ dimensions: 2.5 })).toThrow(RangeError);
  });
});
