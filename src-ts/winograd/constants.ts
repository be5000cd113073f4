/**
 * The transforms the build uses (one per tile size in BUILT_TILE_SIZES, from DEFAULT_POINTS), each proven exact
 * before use, and their exact JSON form (`nova gen --json`), whose hash the generated header carries.
 */

import { createHash } from 'node:crypto';
import { applyScaling, cookToom, describeScaling, type RationalMatrix, type WinogradTransform } from './cook-toom.js';
import { BUILT_TILE_SIZES, DEFAULT_POINTS, DEFAULT_SCALING, type BuiltTileSize, type PointInput } from './points.js';
import { verifyTransform } from './verify.js';

export type PointTable = Readonly<Record<BuiltTileSize, readonly PointInput[]>>;

/** One exactly-verified transform per built tile size, in increasing m; the defaults get DEFAULT_SCALING. */
export function buildTransforms(points: PointTable = DEFAULT_POINTS): WinogradTransform[] {
  return BUILT_TILE_SIZES.map((m) => {
    const scaling = points === DEFAULT_POINTS ? DEFAULT_SCALING[m] : undefined;
    const t = scaling ? applyScaling(cookToom(m, points[m]), scaling) : cookToom(m, points[m]);
    verifyTransform(t);
    return t;
  });
}

export interface TileJson {
  m: number;
  r: number;
  alpha: number;
  /** Finite points in row order, then "inf". */
  points: string[];
  fractionsIn: string;
  /** Diagonal scaling (exact strings) or null; `description` is the header's kScaling text. */
  scaling: { s: string[] | null; t: string[] | null; description: string };
  AT: string[][];
  G: string[][];
  BT: string[][];
}

export interface ConstantsJson {
  format: 'nova-winograd-constants/1';
  /** sha256 of JSON.stringify(tiles): the same value the header carries as kConstantsSha256. */
  sha256: string;
  tiles: TileJson[];
}

export function tileJson(t: WinogradTransform): TileJson {
  const strings = (a: RationalMatrix) => a.map((row) => row.map((x) => x.toString()));
  return {
    m: t.m,
    r: t.r,
    alpha: t.alpha,
    points: [...t.points.map((p) => p.toString()), 'inf'],
    fractionsIn: t.fractionsIn,
    scaling: {
      s: t.scaling ? t.scaling.s.map((x) => x.toString()) : null,
      t: t.scaling ? t.scaling.t.map((x) => x.toString()) : null,
      description: describeScaling(t),
    },
    AT: strings(t.AT),
    G: strings(t.G),
    BT: strings(t.BT),
  };
}

/** The document `nova gen --json` prints: every built tile size with its exact matrices as fraction strings. */
export function genJson(transforms: readonly WinogradTransform[] = buildTransforms()): ConstantsJson {
  const tiles = transforms.map(tileJson);
  return { format: 'nova-winograd-constants/1', sha256: constantsHash(tiles), tiles };
}

export function constantsHash(tiles: readonly TileJson[]): string {
  return createHash('sha256').update(JSON.stringify(tiles)).digest('hex');
}
