// The three Winograd F(m,3) transforms on one tile, in fp32, from the generated constants (F3<M>::bt/g/at).
// Every loop is unrolled so each coefficient is a compile-time constant: zero terms vanish, ±1 become adds.
// Zero coefficients are skipped rather than multiplied, so an Inf never turns into a NaN through 0·Inf.
#pragma once

#include "../compat/hip_compat.hpp"
#include "../generated/winograd_constants.h"

namespace nova::wino {

// Even/odd pairing of the rows of Bᵀ: for a point pair ±p the rows satisfy Bᵀ[i'][l] = (−1)^l · Bᵀ[i][l], so
// both follow from E = Σ_even Bᵀ[i][l]·x_l and O = Σ_odd Bᵀ[i][l]·x_l as E + O and E − O (about half the FMAs).
// Found from the generated constants at compile time, so any point set works (unpaired rows are summed directly).
template <int M>
NOVA_HD constexpr bool bt_rows_mirror(int i, int mirror) {
  bool has_odd = false;
  for (int l = 0; l < M + 2; ++l) {
    if (F3<M>::bt(mirror, l) != (l % 2 == 0 ? F3<M>::bt(i, l) : -F3<M>::bt(i, l))) return false;
    if (l % 2 == 1 && F3<M>::bt(i, l) != 0.0f) has_odd = true;
  }
  return has_odd;
}

// The row whose mirror row i is (the "plus" row of its pair), or −1.
template <int M>
NOVA_HD constexpr int bt_plus_row(int i) {
  for (int l = 0; l < i; ++l)
    if (bt_rows_mirror<M>(l, i)) return l;
  return -1;
}

// The mirror row of row i (its "minus" row), or −1.
template <int M>
NOVA_HD constexpr int bt_minus_row(int i) {
  if (bt_plus_row<M>(i) >= 0) return -1;
  for (int l = i + 1; l < M + 2; ++l)
    if (bt_rows_mirror<M>(i, l) && bt_plus_row<M>(l) == i) return l;
  return -1;
}

// out = Bᵀ x for one vector x of α values (x(l) reads x[l], out(i, value) receives row i). Rows are walked by
// template recursion so the pairing is decided by the front end (if constexpr), not by the optimizer.
template <int M, int kRow = 0>
struct ApplyBt {
  template <class Read, class Write>
  __device__ static void run(Read& x, Write& out) {
    if constexpr (kRow < M + 2) {
      if constexpr (bt_plus_row<M>(kRow) < 0) {  // a minus row is written with its plus row
        float even = 0.0f, odd = 0.0f;
#pragma unroll
        for (int l = 0; l < M + 2; ++l)
          if (F3<M>::bt(kRow, l) != 0.0f) {
            if (l % 2 == 0)
              even = fmaf(F3<M>::bt(kRow, l), x(l), even);
            else
              odd = fmaf(F3<M>::bt(kRow, l), x(l), odd);
          }
        out(kRow, even + odd);
        constexpr int kMinus = bt_minus_row<M>(kRow);
        if constexpr (kMinus >= 0) out(kMinus, even - odd);
      }
      ApplyBt<M, kRow + 1>::run(x, out);
    }
  }
};

template <int M, class Read, class Write>
__device__ inline void apply_bt(Read x, Write out) {
  ApplyBt<M>::run(x, out);
}

// V = Bᵀ d B, for d and v of α×α. Column pass into `d` itself (Bᵀ d), then the row pass writes v.
template <int M>
__device__ inline void transform_input(float (&d)[M + 2][M + 2], float (&v)[M + 2][M + 2]) {
  constexpr int kA = M + 2;
#pragma unroll
  for (int j = 0; j < kA; ++j) {
    float column[kA];
    apply_bt<M>([&](int l) { return d[l][j]; }, [&](int i, float value) { column[i] = value; });
#pragma unroll
    for (int i = 0; i < kA; ++i) d[i][j] = column[i];
  }
#pragma unroll
  for (int i = 0; i < kA; ++i)
    apply_bt<M>([&](int l) { return d[i][l]; }, [&](int j, float value) { v[i][j] = value; });
}

// The input transform as one α²×α² matrix on a tile flattened row-major: V(i·α + j) = Σ Bᵀ(i, l) Bᵀ(j, m) d(l·α + m).
template <int M>
NOVA_HD constexpr double input_transform_kron(int row, int col) {
  constexpr int kA = M + 2;
  return static_cast<double>(F3<M>::bt(row / kA, col / kA)) * F3<M>::bt(row % kA, col % kA);
}

// Whether x is an fp16 value exactly (normal range; no coefficient here is subnormal).
NOVA_HD constexpr bool exact_in_fp16(double x) {
  if (x == 0.0) return true;
  double mantissa = x < 0.0 ? -x : x;
  if (mantissa > 65504.0) return false;
  int exponent = 0;
  for (; mantissa >= 2048.0; mantissa /= 2.0) ++exponent;
  for (; mantissa < 1024.0; mantissa *= 2.0) --exponent;
  return exponent >= -24 && mantissa == static_cast<double>(static_cast<long long>(mantissa));
}

// Whether every entry of Bᵀ ⊗ Bᵀ is an fp16 value: then an fp16 matrix product with fp32 accumulation computes the
// fp32 input transform (exact products, one rounding when V is stored). True for the F(2,3) and F(6,3) points,
// not for F(4,3)'s (products such as (225/256)² need up to 16 significant bits).
template <int M>
NOVA_HD constexpr bool input_transform_exact_in_fp16() {
  constexpr int kPositions = (M + 2) * (M + 2);
  for (int row = 0; row < kPositions; ++row)
    for (int col = 0; col < kPositions; ++col)
      if (!exact_in_fp16(input_transform_kron<M>(row, col))) return false;
  return true;
}

// Bᵀ ⊗ Bᵀ in device memory, for the kernels that load it as matrix-unit operands (a per-lane gather).
template <int M>
struct InputKron {
  float v[(M + 2) * (M + 2)][(M + 2) * (M + 2)];
};
template <int M>
NOVA_HD constexpr InputKron<M> make_input_kron() {
  InputKron<M> table{};
  for (int row = 0; row < (M + 2) * (M + 2); ++row)
    for (int col = 0; col < (M + 2) * (M + 2); ++col)
      table.v[row][col] = static_cast<float>(input_transform_kron<M>(row, col));
  return table;
}
template <int M>
__device__ constexpr InputKron<M> kInputKron = make_input_kron<M>();

// U = G g Gᵀ for a 3×3 filter g.
template <int M>
__device__ inline void transform_filter(const float (&g)[3][3], float (&u)[M + 2][M + 2]) {
  constexpr int kA = M + 2;
  float gg[kA][3];  // G g
#pragma unroll
  for (int i = 0; i < kA; ++i)
#pragma unroll
    for (int j = 0; j < 3; ++j) {
      float sum = 0.0f;
#pragma unroll
      for (int l = 0; l < 3; ++l)
        if (F3<M>::g(i, l) != 0.0f) sum = fmaf(F3<M>::g(i, l), g[l][j], sum);
      gg[i][j] = sum;
    }
#pragma unroll
  for (int i = 0; i < kA; ++i)
#pragma unroll
    for (int j = 0; j < kA; ++j) {
      float sum = 0.0f;
#pragma unroll
      for (int l = 0; l < 3; ++l)
        if (F3<M>::g(j, l) != 0.0f) sum = fmaf(gg[i][l], F3<M>::g(j, l), sum);
      u[i][j] = sum;
    }
}

// T = Mw A, the output transform's right half (Mw: the α×α Winograd-domain product summed over channels).
template <int M>
__device__ inline void transform_output_right(const float (&mw)[M + 2][M + 2], float (&t)[M + 2][M]) {
  constexpr int kA = M + 2;
#pragma unroll
  for (int i = 0; i < kA; ++i)
#pragma unroll
    for (int j = 0; j < M; ++j) {
      float sum = 0.0f;
#pragma unroll
      for (int l = 0; l < kA; ++l)
        if (F3<M>::at(j, l) != 0.0f) sum = fmaf(mw[i][l], F3<M>::at(j, l), sum);
      t[i][j] = sum;
    }
}

// Y = Aᵀ T, its left half: m×m out.
template <int M>
__device__ inline void transform_output_left(const float (&t)[M + 2][M], float (&y)[M][M]) {
  constexpr int kA = M + 2;
#pragma unroll
  for (int i = 0; i < M; ++i)
#pragma unroll
    for (int j = 0; j < M; ++j) {
      float sum = 0.0f;
#pragma unroll
      for (int l = 0; l < kA; ++l)
        if (F3<M>::at(i, l) != 0.0f) sum = fmaf(F3<M>::at(i, l), t[l][j], sum);
      y[i][j] = sum;
    }
}

// Y = Aᵀ Mw A, m×m out.
template <int M>
__device__ inline void transform_output(const float (&mw)[M + 2][M + 2], float (&y)[M][M]) {
  float t[M + 2][M];
  transform_output_right<M>(mw, t);
  transform_output_left<M>(t, y);
}

}  // namespace nova::wino
