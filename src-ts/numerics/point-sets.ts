/**
 * The point-set families the study compares, per tile size (finite points; infinity is implied).
 * Values are exact rationals written as strings; √2 is approximated by its continued-fraction convergent 17/12,
 * whose reciprocal 12/17 keeps the set closed under x → 1/x like the original.
 */

export const STUDY_TILE_SIZES = [4, 6, 8] as const;
export type StudyTileSize = (typeof STUDY_TILE_SIZES)[number];

export interface PointFamily {
  readonly name: string;
  readonly description: string;
  readonly sets: Partial<Record<StudyTileSize, readonly string[]>>;
}

/** 0 followed by ±x for each x. */
export function symmetric(...values: string[]): string[] {
  return ['0', ...values.flatMap((x) => [x, `-${x}`])];
}

export const FAMILIES: readonly PointFamily[] = [
  {
    name: 'integer',
    description: '{0, ±1, ±2, ±3, …}',
    sets: { 4: symmetric('1', '2'), 6: symmetric('1', '2', '3'), 8: symmetric('1', '2', '3', '4') },
  },
  {
    name: 'lavin',
    description: "Lavin & Gray's {0, ±1, ±2, ±1/2}, extended by ±4 for F(8,3) (the generator's former default)",
    sets: { 4: symmetric('1', '2'), 6: symmetric('1', '2', '1/2'), 8: symmetric('1', '2', '1/2', '4') },
  },
  {
    name: 'seed',
    description: "the seed system's sets (claims to check)",
    sets: {
      4: symmetric('5/6', '7/6'),
      6: symmetric('3/5', '1', '7/6'),
      8: symmetric('2/5', '5/6', '1', '7/6'),
    },
  },
  {
    name: 'reciprocal',
    description: '{0, ±c, ±1/c, …}: reciprocal pairs (c = 3/2; 1, 2; 5/4, 5/2)',
    sets: { 4: symmetric('3/2', '2/3'), 6: symmetric('1', '2', '1/2'), 8: symmetric('5/4', '4/5', '5/2', '2/5') },
  },
  {
    name: 'ncnn-style',
    description: '{0, ±√2, ±1/√2, …} with √2 ≈ 17/12 (F(6,3) adds ±1, F(8,3) adds ±2, ±1/2)',
    sets: {
      4: symmetric('17/12', '12/17'),
      6: symmetric('1', '17/12', '12/17'),
      8: symmetric('1/2', '12/17', '17/12', '2'),
    },
  },
];
