/**
 * Where simulated clients draw DP-SGD noise: SecureNoise from the platform CSPRNG by default, or, when the user asks
 * for a replayable simulation (`dpSeeded`), a SeededNoise stream derived from each fit's seed, which is not private:
 * anyone who knows the seed can subtract the noise.
 */
import { Rng } from '../core/index.js';
import type { DpNoiseFactory } from '../ml/index.js';
import { SecureNoise, SeededNoise } from '../privacy/index.js';

export function dpNoiseFactory(mode: 'secure' | 'seeded'): DpNoiseFactory {
  if (mode === 'seeded') return (seed) => new SeededNoise(new Rng(seed).split('dp-sgd'));
  const secure = new SecureNoise();
  return () => secure;
}
