// Exactness of the construction for m = 2..8 on several kinds of point sets, proven on basis vectors.
import { describe, expect, it } from 'vitest';
import {
  applyScaling,
  cookToom,
  identityTensor,
  isExact,
  NAMED_POINT_SETS,
  Rational,
  verify2d,
  verifyTransform,
  WinogradIdentityError,
  type WinogradTransform,
} from '../../src-ts/winograd/index.js';

const POINT_FAMILIES: Record<string, readonly string[]> = {
  // Lavin's order extended: the first m+1 points are used for F(m,3)
  lavin: ['0', '1', '-1', '2', '-2', '1/2', '-1/2', '4', '-4'],
  integer: ['0', '1', '-1', '2', '-2', '3', '-3', '4', '-4'],
  'reciprocal pairs': ['0', '2', '1/2', '-2', '-1/2', '3', '1/3', '-3', '-1/3'],
  'non-dyadic': ['0', '3/5', '-3/5', '1', '-1', '7/6', '-7/6', '5/3', '-5/3'],
  'unordered, no zero': ['-7/3', '5', '1/9', '-1', '2/7', '3', '-4/5', '11/2', '-6'],
};

describe.each(Object.entries(POINT_FAMILIES))('%s points', (_, family) => {
  it.each([2, 3, 4, 5, 6, 7, 8])('F(%i,3) is exact on every basis pair (1-D)', (m) => {
    const t = cookToom(m, family.slice(0, m + 1));
    expect(verifyTransform(t)).toBe(m * 3 * (m + 2));
  });
});

describe('2-D identity Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, computed directly on basis pairs', () => {
  it.each([2, 3, 4, 5, 6])('F(%i×%i, 3×3) with Lavin points', (m) => {
    const t = cookToom(m, POINT_FAMILIES.lavin!.slice(0, m + 1));
    expect(verify2d(t)).toBe(m * m * 9 * (m + 2) ** 2);
  });

  it("F(6×6, 3×3) with the seed's points, scaled", () => {
    const seed = NAMED_POINT_SETS['seed-f6']!;
    const t = applyScaling(cookToom(seed.m, seed.points), {
      s: ['1', '2', '2', '1/4', '1/4', '1/8', '1/8', '1'],
      t: ['1/2', '1', '1', '4', '4', '8', '8', '1/2'],
    });
    expect(verify2d(t)).toBe(36 * 9 * 64);
  });
});

describe('the proof catches wrong matrices', () => {
  const corrupt = (t: WinogradTransform, which: 'AT' | 'G' | 'BT', i: number, j: number): WinogradTransform => {
    const copy = t[which].map((row) => [...row]);
    copy[i]![j] = copy[i]![j]!.add(Rational.parse('1/1000'));
    return { ...t, [which]: copy };
  };
  const base = cookToom(6, POINT_FAMILIES.lavin!.slice(0, 7));

  it.each([
    ['AT', 2, 3],
    ['G', 5, 1],
    ['BT', 7, 7],
  ] as const)('a change of 1/1000 in %s[%i][%i]', (which, i, j) => {
    const bad = corrupt(base, which, i, j);
    expect(isExact(bad)).toBe(false);
    expect(() => verifyTransform(bad)).toThrow(WinogradIdentityError);
    expect(() => verifyTransform(bad)).toThrow(/F\(6,3\) is not exact: output \d, filter tap \d, input \d gives/);
  });

  it('a scaling applied to one matrix only', () => {
    const s = Array(8).fill(Rational.ONE);
    s[3] = Rational.parse('2');
    const bad = { ...base, G: base.G.map((row, k) => row.map((x) => x.mul(s[k]!))) };
    expect(isExact(bad)).toBe(false);
    expect(() => verify2d(bad)).toThrow(WinogradIdentityError);
  });

  it('wrong shapes are a RangeError, not a wrong proof', () => {
    expect(() => identityTensor({ ...base, G: base.G.slice(1) })).toThrow(/Expected Aᵀ 6×8, G 8×3, Bᵀ 8×8/);
  });
});
