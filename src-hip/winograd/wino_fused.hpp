// The fused F(m,3) forward kernel. One block computes kBlockTiles output tiles × kBlockK output channels:
//   for each step of 16 input channels:
//     load_input_tile + transform_input  V = Bᵀ d B  (fp32 math, stored fp16 in shared memory)
//     load_filter_step                   U for (α² positions, kBlockK, 16 channels) into shared memory
//     multiply                           M[ξ] += U[ξ] · V[ξ] on the matrix units, fp32 accumulators in registers;
//                                        warp w owns positions ξ ∈ [w·α²/kWarps, (w+1)·α²/kWarps)
//   then transform_output Y = Aᵀ M A (fp32, through shared memory) and the epilogue (bias, ReLU, fp16 store).
// Nothing but the input, U and the output touches device memory. Shared memory is a union of the main-loop
// and the epilogue storage. Compensated mode keeps V and U as fp16 hi + fp16 lo and accumulates
// hi·hi + hi·lo + lo·hi.
#pragma once

#include "../compat/hip_compat.hpp"
#include "../mma/mma.hpp"
#include "params.hpp"
#include "transforms.hpp"

namespace nova::wino {

template <int M, int kBlockK_, int kBlockTiles_, int kWarps_, bool kCompensated_>
struct FusedConfig {
  static constexpr int kM = M;
  static constexpr int kBlockK = kBlockK_;
  static constexpr int kBlockTiles = kBlockTiles_;
  static constexpr int kWarps = kWarps_;
  static constexpr bool kCompensated = kCompensated_;
  static constexpr int kAlpha = M + 2;
  static constexpr int kPositions = kAlpha * kAlpha;
  static constexpr int kThreads = kWarps * kWarpSize;
  static constexpr int kPositionsPerWarp = kPositions / kWarps;
  static constexpr int kKTiles = kBlockK / 16;
  static constexpr int kTTiles = kBlockTiles / 16;
  static constexpr int kPlanes = kCompensated ? 2 : 1;
  // Row pitch (halves) of V and U: 16 channels + 8 halves of padding make the fragment loads bank-conflict free
  // and keep 16-byte stores aligned.
  static constexpr int kLd = kChannelStep + 8;
  // Pitch (floats) of the k rows of M: +4 spreads the fragment stores over all banks.
  static constexpr int kMLd = kBlockK + 4;
  static_assert(kPositions % kWarps == 0, "each warp owns the same number of positions");
  static_assert(kBlockK % 16 == 0 && kBlockTiles % 16 == 0, "block tile is made of 16x16 products");

  struct MainLoopStorage {
    __half v[kPlanes][kPositions][kBlockTiles][kLd];  // V(ξ, tile, channel)
    __half u[kPlanes][kPositions][kBlockK][kLd];      // U(ξ, k, channel)
  };
  struct EpilogueStorage {
    float m[kPositions][kBlockTiles][kMLd];  // M(ξ, tile, k)
  };
  union SharedStorage {
    MainLoopStorage main_loop;
    EpilogueStorage epilogue;
  };
  static constexpr size_t kSharedBytes = sizeof(SharedStorage);
};

struct TileOrigin {
  int image, row, col;  // image index and the tile's first output row/column
};

__device__ inline TileOrigin tile_origin(const Params& p, int64_t tile, int m) {
  const int64_t per_image = static_cast<int64_t>(p.tiles_h) * p.tiles_w;
  const int image = static_cast<int>(tile / per_image);
  const int rest = static_cast<int>(tile - image * per_image);
  return TileOrigin{image, (rest / p.tiles_w) * m, (rest % p.tiles_w) * m};
}

template <class Cfg>
__device__ inline void load_and_transform_input(const Params& p, typename Cfg::MainLoopStorage& s, int64_t tile0,
                                                int c0) {
  constexpr int kA = Cfg::kAlpha;
  for (int pair = threadIdx.x; pair < Cfg::kBlockTiles * kChannelStep; pair += Cfg::kThreads) {
    const int c_local = pair % kChannelStep, t_local = pair / kChannelStep;
    const int64_t tile = tile0 + t_local;
    const int c = c0 + c_local;
    float d[kA][kA];
    if (tile < p.tiles_total && c < p.c) {
      const TileOrigin o = tile_origin(p, tile, Cfg::kM);
      const int ih0 = o.row - p.pad_h, iw0 = o.col - p.pad_w;
      const __half* image = p.x + static_cast<int64_t>(o.image) * p.h * p.w * p.c + c;
#pragma unroll
      for (int i = 0; i < kA; ++i) {
        const int ih = ih0 + i;
        const bool row_ok = ih >= 0 && ih < p.h;
#pragma unroll
        for (int j = 0; j < kA; ++j) {
          const int iw = iw0 + j;
          d[i][j] = row_ok && iw >= 0 && iw < p.w
                        ? __half2float(image[(static_cast<int64_t>(ih) * p.w + iw) * p.c])
                        : 0.0f;
        }
      }
    } else {
#pragma unroll
      for (int i = 0; i < kA; ++i)
#pragma unroll
        for (int j = 0; j < kA; ++j) d[i][j] = 0.0f;
    }
    float v[kA][kA];
    transform_input<Cfg::kM>(d, v);
#pragma unroll
    for (int i = 0; i < kA; ++i)
#pragma unroll
      for (int j = 0; j < kA; ++j) {
        const __half hi = __float2half_rn(v[i][j]);
        s.v[0][i * kA + j][t_local][c_local] = hi;
        if constexpr (Cfg::kCompensated)
          s.v[Cfg::kPlanes - 1][i * kA + j][t_local][c_local] = __float2half_rn(v[i][j] - __half2float(hi));
      }
  }
}

// Issues the asynchronous copies of U for one step; the caller waits (copy_async_wait_all) before the barrier.
template <class Cfg>
__device__ inline void load_filter_step(const Params& p, typename Cfg::MainLoopStorage& s, int k0, int c0) {
  // 16-byte vectors: two per (plane, ξ, k) row of 16 channels.
  constexpr int kVectors = Cfg::kPlanes * Cfg::kPositions * Cfg::kBlockK * 2;
#pragma unroll 4
  for (int index = threadIdx.x; index < kVectors; index += Cfg::kThreads) {
    const int half_row = index & 1;
    const int row = index >> 1;
    const int k_local = row % Cfg::kBlockK;
    const int position = (row / Cfg::kBlockK) % Cfg::kPositions;
    const int plane = row / (Cfg::kBlockK * Cfg::kPositions);
    const int k = k0 + k_local;
    const bool valid = k < p.k;
    const __half* src = p.u + plane * p.u_plane +
                        u_index(position, valid ? k : 0, c0 + 8 * half_row, Cfg::kPositions, p.k);
    mma::copy_async_16(&s.u[plane][position][k_local][8 * half_row], src, valid);
  }
}

template <class Cfg>
__device__ inline void multiply(const typename Cfg::MainLoopStorage& s, int warp,
                                mma::FragD (&acc)[Cfg::kPositionsPerWarp][Cfg::kKTiles][Cfg::kTTiles]) {
#pragma unroll
  for (int q = 0; q < Cfg::kPositionsPerWarp; ++q) {
    const int position = warp * Cfg::kPositionsPerWarp + q;
    mma::FragB v_hi[Cfg::kTTiles], v_lo[Cfg::kTTiles];
#pragma unroll
    for (int tt = 0; tt < Cfg::kTTiles; ++tt) {
      mma::load_b(v_hi[tt], &s.v[0][position][16 * tt][0], Cfg::kLd);
      if constexpr (Cfg::kCompensated) mma::load_b(v_lo[tt], &s.v[1][position][16 * tt][0], Cfg::kLd);
    }
#pragma unroll
    for (int kt = 0; kt < Cfg::kKTiles; ++kt) {
      mma::FragA u_hi, u_lo;
      mma::load_a(u_hi, &s.u[0][position][16 * kt][0], Cfg::kLd);
      if constexpr (Cfg::kCompensated) mma::load_a(u_lo, &s.u[1][position][16 * kt][0], Cfg::kLd);
#pragma unroll
      for (int tt = 0; tt < Cfg::kTTiles; ++tt) {
        mma::mma(acc[q][kt][tt], u_hi, v_hi[tt]);
        if constexpr (Cfg::kCompensated) {
          mma::mma(acc[q][kt][tt], u_hi, v_lo[tt]);
          mma::mma(acc[q][kt][tt], u_lo, v_hi[tt]);
        }
      }
    }
  }
}

template <class Cfg>
__device__ inline void transform_output_and_store(const Params& p, const typename Cfg::EpilogueStorage& s,
                                                  int64_t tile0, int k0) {
  constexpr int kA = Cfg::kAlpha, kM = Cfg::kM;
  for (int pair = threadIdx.x; pair < Cfg::kBlockTiles * Cfg::kBlockK; pair += Cfg::kThreads) {
    const int k_local = pair % Cfg::kBlockK, t_local = pair / Cfg::kBlockK;
    const int64_t tile = tile0 + t_local;
    const int k = k0 + k_local;
    if (tile >= p.tiles_total || k >= p.k) continue;
    float mw[kA][kA];
#pragma unroll
    for (int i = 0; i < kA; ++i)
#pragma unroll
      for (int j = 0; j < kA; ++j) mw[i][j] = s.m[i * kA + j][t_local][k_local];
    float y[kM][kM];
    transform_output<kM>(mw, y);
    const float bias = p.bias ? __half2float(p.bias[k]) : 0.0f;
    const TileOrigin o = tile_origin(p, tile, kM);
    __half* out = p.y + static_cast<int64_t>(o.image) * p.out_h * p.out_w * p.k + k;
#pragma unroll
    for (int i = 0; i < kM; ++i)
#pragma unroll
      for (int j = 0; j < kM; ++j) {
        const int oh = o.row + i, ow = o.col + j;
        if (oh < p.out_h && ow < p.out_w) {
          float value = y[i][j] + bias;
          if (p.relu) value = value < 0.0f ? 0.0f : value;  // keeps NaN, as max(0, NaN) would not
          out[(static_cast<int64_t>(oh) * p.out_w + ow) * p.k] = __float2half_rn(value);
        }
      }
  }
}

template <class Cfg>
__global__ void __launch_bounds__(Cfg::kThreads, 1) wino_fused_fp16_nhwc(Params p) {
  extern __shared__ __align__(16) unsigned char shared_bytes[];
  auto& shared = *reinterpret_cast<typename Cfg::SharedStorage*>(shared_bytes);
  const int64_t tile0 = static_cast<int64_t>(blockIdx.x) * Cfg::kBlockTiles;
  const int k0 = static_cast<int>(blockIdx.y) * Cfg::kBlockK;
  const int warp = static_cast<int>(threadIdx.x) / kWarpSize;

  mma::FragD acc[Cfg::kPositionsPerWarp][Cfg::kKTiles][Cfg::kTTiles];
#pragma unroll
  for (int q = 0; q < Cfg::kPositionsPerWarp; ++q)
#pragma unroll
    for (int kt = 0; kt < Cfg::kKTiles; ++kt)
#pragma unroll
      for (int tt = 0; tt < Cfg::kTTiles; ++tt) mma::zero(acc[q][kt][tt]);

  for (int c0 = 0; c0 < p.c; c0 += kChannelStep) {
    load_filter_step<Cfg>(p, shared.main_loop, k0, c0);  // in flight during the input transform
    load_and_transform_input<Cfg>(p, shared.main_loop, tile0, c0);
    mma::copy_async_wait_all();
    __syncthreads();
    multiply<Cfg>(shared.main_loop, warp, acc);
    __syncthreads();
  }

#pragma unroll
  for (int q = 0; q < Cfg::kPositionsPerWarp; ++q)
#pragma unroll
    for (int kt = 0; kt < Cfg::kKTiles; ++kt)
#pragma unroll
      for (int tt = 0; tt < Cfg::kTTiles; ++tt)
        mma::store_d(acc[q][kt][tt],
                     &shared.epilogue.m[warp * Cfg::kPositionsPerWarp + q][16 * tt][16 * kt], 1, Cfg::kMLd);
  __syncthreads();
  transform_output_and_store<Cfg>(p, shared.epilogue, tile0, k0);
}

// U = G g Gᵀ for every (k, c < c_pad) from a KRSC fp16 filter; channels ≥ c are zero.
template <int M, bool kCompensated>
__global__ void wino_transform_filter_fp16(const __half* filter, __half* u, int k_total, int c, int c_pad,
                                           int64_t u_plane) {
  constexpr int kA = M + 2;
  const int64_t total = static_cast<int64_t>(k_total) * c_pad;
  for (int64_t index = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; index < total;
       index += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int k = static_cast<int>(index / c_pad), channel = static_cast<int>(index % c_pad);
    float g[3][3];
#pragma unroll
    for (int r = 0; r < 3; ++r)
#pragma unroll
      for (int s = 0; s < 3; ++s)
        g[r][s] = channel < c ? __half2float(filter[(static_cast<int64_t>(k) * 9 + r * 3 + s) * c + channel]) : 0.0f;
    float uf[kA][kA];
    transform_filter<M>(g, uf);
#pragma unroll
    for (int i = 0; i < kA; ++i)
#pragma unroll
      for (int j = 0; j < kA; ++j) {
        const int64_t at = u_index(i * kA + j, k, channel, kA * kA, k_total);
        const __half hi = __float2half_rn(uf[i][j]);
        u[at] = hi;
        if constexpr (kCompensated) u[u_plane + at] = __float2half_rn(uf[i][j] - __half2float(hi));
      }
  }
}

}  // namespace nova::wino
