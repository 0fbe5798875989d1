import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { gaussianFit, looksGaussian } from './gaussian-fit.fixture.js';
import { SecureNoise, SeededNoise, type NoiseSource } from './noise.js';

function draw(source: NoiseSource, n: number, sigma: number): Float64Array {
  const out = new Float64Array(n);
  source.addGaussian(out, sigma);
  return out;
}

describe('SeededNoise', () => {
  it('draws N(0, sigma^2) and replays exactly from the same seed', () => {
    const a = draw(new SeededNoise(new Rng(7)), 100_000, 2.5);
    expect(looksGaussian(a, 2.5)).toBe(true);
    expect(draw(new SeededNoise(new Rng(7)), 100_000, 2.5)).toEqual(a);
  });
});

describe('SecureNoise', () => {
  it('draws N(0, sigma^2) from Web Crypto', () => {
    expect(looksGaussian(draw(new SecureNoise(), 100_000, 0.3), 0.3)).toBe(true);
    expect(new SecureNoise().name).toBe('secure');
  });

  it('turns any source of random words into the same transform (reproducible with a seeded source)', () => {
    const words = (rng: Rng) => (buffer: Uint32Array) => {
      for (let i = 0; i < buffer.length; i++) buffer[i] = rng.nextUint32();
      return buffer;
    };
    const a = draw(new SecureNoise(words(new Rng(3))), 50_000, 1);
    expect(looksGaussian(a, 1)).toBe(true);
    expect(draw(new SecureNoise(words(new Rng(3))), 50_000, 1)).toEqual(a);
    // All-zero words give u1 = 1 (log u1 = 0), never log(0).
    expect(Math.abs(new SecureNoise((buffer) => buffer.fill(0)).standardNormal())).toBe(0);
  });
});

describe('gaussianFit (the test statistic itself)', () => {
  it('flags a wrong standard deviation and a shifted mean', () => {
    const a = draw(new SeededNoise(new Rng(9)), 100_000, 1);
    expect(Math.abs(gaussianFit(a, 1.02).varianceZ)).toBeGreaterThan(5); // a 2% error in sigma is detected
    expect(
      looksGaussian(
        a.map((x) => x + 0.05),
        1,
      ),
    ).toBe(false);
  });
});

describe('addGaussian', () => {
  it('adds nothing for sigma 0 and rejects invalid standard deviations', () => {
    const target = Float32Array.of(1, 2, 3);
    new SeededNoise(new Rng(1)).addGaussian(target, 0);
    expect(Array.from(target)).toEqual([1, 2, 3]);
    for (const sigma of [-1, NaN, Infinity]) {
      let caught: unknown;
      try {
        new SeededNoise(new Rng(1)).addGaussian(target, sigma);
      } catch (error) {
        caught = error;
      }
      expect(isFlotillaError(caught, 'INVALID_ARGUMENT')).toBe(true);
    }
  });
});
