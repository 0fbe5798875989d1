import { describe, expect, it } from 'vitest';
import { defaultNeighbours } from './config.js';
import { randomBytes } from './crypto.js';
import { buildMaskingGraph, effectiveDegree } from './graph.js';

describe('masking graph', () => {
  it('is k-regular, symmetric, connected and determined by its public seed', async () => {
    const seed = randomBytes(32);
    for (const [n, k] of [
      [100, 14],
      [101, 14],
      [100, 15],
      [500, defaultNeighbours(500)],
    ] as const) {
      const g = await buildMaskingGraph(n, k, seed);
      expect(g.degree).toBe(k);
      const reached = new Set([0]);
      const queue = [0];
      for (let i = 0; i < n; i++) {
        expect(g.neighbours(i)).toHaveLength(k);
        expect(g.neighbours(i)).not.toContain(i);
        for (const j of g.neighbours(i)) expect(g.areNeighbours(j, i)).toBe(true);
      }
      while (queue.length > 0) {
        for (const j of g.neighbours(queue.pop()!)) {
          if (!reached.has(j)) {
            reached.add(j);
            queue.push(j);
          }
        }
      }
      expect(reached.size).toBe(n);
      const again = await buildMaskingGraph(n, k, seed);
      expect(again.neighbours(7)).toEqual(g.neighbours(7));
    }
    const other = await buildMaskingGraph(100, 14, randomBytes(32));
    const g = await buildMaskingGraph(100, 14, seed);
    expect(Array.from({ length: 100 }, (_, i) => other.neighbours(i).join()).join('|')).not.toBe(
      Array.from({ length: 100 }, (_, i) => g.neighbours(i).join()).join('|'),
    );
  });

  it('is complete for k = n - 1 (the original protocol) and fixes odd n k', async () => {
    const g = await buildMaskingGraph(7, 6, randomBytes(32));
    for (let i = 0; i < 7; i++) expect(g.neighbours(i)).toHaveLength(6);
    expect(effectiveDegree(9, 3)).toBe(4);
    expect(effectiveDegree(10, 3)).toBe(3);
    expect(effectiveDegree(10, 50)).toBe(9);
    expect(defaultNeighbours(100)).toBe(20);
  });
});
