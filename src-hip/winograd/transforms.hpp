// The three Winograd F(m,3) transforms on one tile, in fp32, from the generated constants (F3<M>::bt/g/at).
// Every loop is unrolled so each coefficient is a compile-time constant: zero terms vanish, ±1 become adds.
// Zero coefficients are skipped rather than multiplied, so an Inf never turns into a NaN through 0·Inf.
#pragma once

#include "../compat/hip_compat.hpp"
#include "../generated/winograd_constants.h"

namespace nova::wino {

// V = Bᵀ d B, for d and v of α×α. Column pass into `d` itself (Bᵀ d), then the row pass writes v.
template <int M>
__device__ inline void transform_input(float (&d)[M + 2][M + 2], float (&v)[M + 2][M + 2]) {
  constexpr int kA = M + 2;
#pragma unroll
  for (int j = 0; j < kA; ++j) {
    float column[kA];
#pragma unroll
    for (int i = 0; i < kA; ++i) {
      float sum = 0.0f;
#pragma unroll
      for (int l = 0; l < kA; ++l)
        if (F3<M>::bt(i, l) != 0.0f) sum = fmaf(F3<M>::bt(i, l), d[l][j], sum);
      column[i] = sum;
    }
#pragma unroll
    for (int i = 0; i < kA; ++i) d[i][j] = column[i];
  }
#pragma unroll
  for (int i = 0; i < kA; ++i)
#pragma unroll
    for (int j = 0; j < kA; ++j) {
      float sum = 0.0f;
#pragma unroll
      for (int l = 0; l < kA; ++l)
        if (F3<M>::bt(j, l) != 0.0f) sum = fmaf(d[i][l], F3<M>::bt(j, l), sum);
      v[i][j] = sum;
    }
}

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

// Y = Aᵀ Mw A (Mw: the α×α Winograd-domain product summed over channels), m×m out.
template <int M>
__device__ inline void transform_output(const float (&mw)[M + 2][M + 2], float (&y)[M][M]) {
  constexpr int kA = M + 2;
  float z[M][kA];  // Aᵀ Mw
#pragma unroll
  for (int i = 0; i < M; ++i)
#pragma unroll
    for (int j = 0; j < kA; ++j) {
      float sum = 0.0f;
#pragma unroll
      for (int l = 0; l < kA; ++l)
        if (F3<M>::at(i, l) != 0.0f) sum = fmaf(F3<M>::at(i, l), mw[l][j], sum);
      z[i][j] = sum;
    }
#pragma unroll
  for (int i = 0; i < M; ++i)
#pragma unroll
    for (int j = 0; j < M; ++j) {
      float sum = 0.0f;
#pragma unroll
      for (int l = 0; l < kA; ++l)
        if (F3<M>::at(j, l) != 0.0f) sum = fmaf(z[i][l], F3<M>::at(j, l), sum);
      y[i][j] = sum;
    }
}

}  // namespace nova::wino
