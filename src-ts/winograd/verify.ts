/**
 * Exactness proof for Winograd transforms. y = Aᵀ[(G g) ⊙ (Bᵀ d)] is bilinear in (g, d), so checking every pair
 * of basis vectors (g = e_j, d = e_l) proves y_i = Σ_j g_j d_{i+j} for all inputs:
 *   Σ_k Aᵀ[i][k]·G[k][j]·Bᵀ[k][l] = [l = i + j]   for all i < m, j < r, l < α.
 * The 2-D form Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A is the Kronecker square of that tensor, hence exact too; verify2d
 * checks it directly anyway (cheap enough for m ≤ 6).
 */

import { Rational } from './rational.js';
import { transpose, type RationalMatrix, type WinogradTransform } from './cook-toom.js';

export class WinogradIdentityError extends Error {
  override readonly name = 'WinogradIdentityError';
}

/** The 1-D bilinear tensor T[i][j][l] = Σ_k Aᵀ[i][k]·G[k][j]·Bᵀ[k][l]. */
export function identityTensor(t: WinogradTransform): Rational[][][] {
  checkShapes(t);
  return t.AT.map((aRow) =>
    Array.from({ length: t.r }, (_, j) =>
      Array.from({ length: t.alpha }, (_, l) =>
        aRow.reduce((acc, a, k) => acc.add(a.mul(t.G[k]![j]!).mul(t.BT[k]![l]!)), Rational.ZERO),
      ),
    ),
  );
}

/** Throws WinogradIdentityError naming the first failing (i, j, l); returns the number of exact checks made. */
export function verifyTransform(t: WinogradTransform): number {
  const tensor = identityTensor(t);
  let checks = 0;
  tensor.forEach((plane, i) =>
    plane.forEach((row, j) =>
      row.forEach((value, l) => {
        const expected = l === i + j ? Rational.ONE : Rational.ZERO;
        if (!value.equals(expected)) {
          throw new WinogradIdentityError(
            `F(${t.m},${t.r}) is not exact: output ${i}, filter tap ${j}, input ${l} gives ${value.toString()} ` +
              `instead of ${expected.toString()}`,
          );
        }
        checks++;
      }),
    ),
  );
  return checks;
}

export function isExact(t: WinogradTransform): boolean {
  try {
    verifyTransform(t);
    return true;
  } catch (e) {
    if (e instanceof WinogradIdentityError) return false;
    throw e;
  }
}

/**
 * The 2-D identity on every basis pair, computed as the kernels do (U = G g Gᵀ, V = Bᵀ d B, Y = Aᵀ(U ⊙ V)A),
 * against Y[i][i'] = [l = i+j]·[l' = i'+j'] for g = e_j e_j'ᵀ, d = e_l e_l'ᵀ. Cost grows like m²·r²·α⁴.
 */
export function verify2d(t: WinogradTransform): number {
  checkShapes(t);
  const { m, r, alpha } = t;
  const A = transpose(t.AT);
  let checks = 0;
  for (let j = 0; j < r; j++) {
    for (let j2 = 0; j2 < r; j2++) {
      // U = G e_j e_j2ᵀ Gᵀ = (column j of G)(column j2 of G)ᵀ
      const U = outer(column(t.G, j), column(t.G, j2));
      for (let l = 0; l < alpha; l++) {
        for (let l2 = 0; l2 < alpha; l2++) {
          const V = outer(column(t.BT, l), column(t.BT, l2));
          const M = U.map((row, a) => row.map((u, b) => u.mul(V[a]![b]!)));
          const Y = matmul(matmul(t.AT, M), A);
          for (let i = 0; i < m; i++) {
            for (let i2 = 0; i2 < m; i2++) {
              const expected = l === i + j && l2 === i2 + j2 ? Rational.ONE : Rational.ZERO;
              if (!Y[i]![i2]!.equals(expected)) {
                throw new WinogradIdentityError(
                  `F(${m}x${m},${r}x${r}) is not exact: output (${i},${i2}), filter tap (${j},${j2}), ` +
                    `input (${l},${l2}) gives ${Y[i]![i2]!.toString()} instead of ${expected.toString()}`,
                );
              }
              checks++;
            }
          }
        }
      }
    }
  }
  return checks;
}

function checkShapes(t: WinogradTransform): void {
  const ok =
    t.AT.length === t.m &&
    t.AT.every((row) => row.length === t.alpha) &&
    t.G.length === t.alpha &&
    t.G.every((row) => row.length === t.r) &&
    t.BT.length === t.alpha &&
    t.BT.every((row) => row.length === t.alpha);
  if (!ok) {
    throw new RangeError(
      `Expected Aᵀ ${t.m}×${t.alpha}, G ${t.alpha}×${t.r}, Bᵀ ${t.alpha}×${t.alpha} for F(${t.m},${t.r}) but received ` +
        `${dims(t.AT)}, ${dims(t.G)}, ${dims(t.BT)}`,
    );
  }
}

function dims(a: RationalMatrix): string {
  return `${a.length}×${a[0]?.length ?? 0}`;
}

function column(a: RationalMatrix, j: number): Rational[] {
  return a.map((row) => row[j]!);
}

function outer(x: readonly Rational[], y: readonly Rational[]): RationalMatrix {
  return x.map((a) => y.map((b) => a.mul(b)));
}

function matmul(a: RationalMatrix, b: RationalMatrix): RationalMatrix {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((acc, x, k) => acc.add(x.mul(b[k]![j]!)), Rational.ZERO)));
}
