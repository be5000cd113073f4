// Grid-invariant state of the fused Winograd kernel, built on the host and passed by value, and the
// applicability check that routes a shape to it.
#pragma once

#include <cstdint>

#include "../compat/hip_compat.hpp"
#include "../direct/launch.hpp"

namespace nova::wino {

// Channels reduced per main-loop step: the k of one 16×16×16 matrix product.
inline constexpr int kChannelStep = 16;

// Blocks per cluster of a channel split at most: the portable cluster size, which every sm_90 device runs.
inline constexpr int kMaxChannelSplit = 8;

// Output channels per run of F(2,3)'s U: its 64-channel block finds a step's U in one contiguous run and copies it
// with one bulk copy. F(4,3) and F(6,3) keep all K in one run per (ξ, channel half): their blocks copy U 16 bytes
// per thread, which measured 3–5 % slower from k-blocked runs (bench/NOTES.md, v16 and v17).
inline constexpr int kFilterKBlock = 64;
NOVA_HD constexpr bool filter_k_blocked(int m) { return m == 2; }

NOVA_HD inline int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

// Rows of output channels U holds for F(m,3): K, padded to kFilterKBlock where U is k-blocked.
NOVA_HD inline int filter_k_rows(int m, int k) { return filter_k_blocked(m) ? round_up(k, kFilterKBlock) : k; }

// Elements of one plane of U for F(m,3) with k output and c input channels (u_index's layout, C padded to
// kChannelStep); a compensated filter holds two planes (hi, lo).
inline int64_t u_plane_elements(int m, int k, int c) {
  return static_cast<int64_t>(m + 2) * (m + 2) * filter_k_rows(m, k) * round_up(c, kChannelStep);
}

struct Params {
  const __half* x;     // input  NHWC [n][h][w][c]
  const __half* u;     // transformed filter, see u_index() (then the lo plane when compensated)
  const __half* bias;  // [k] or null
  __half* y;           // output NHWC [n][out_h][out_w][k]
  int n, c, h, w, k;
  int pad_h, pad_w;
  int out_h, out_w;
  int tiles_h, tiles_w;  // output tiles per image
  int c_pad;             // c rounded up to kChannelStep (the U row length)
  int64_t tiles_total;   // n · tiles_h · tiles_w
  int64_t u_plane;       // elements of one U plane (u_plane_elements): offset of the lo plane
  // The grid (launch.hip): x tile blocks, y k blocks, clusters of c_split blocks along z (1: no split). In rows
  // y < unsplit_rows each block of a cluster takes its own tile block (x·c_split + z); in the others a cluster's
  // blocks share tile block x, each reducing its share of the channel steps.
  int64_t tile_blocks;  // tile blocks per k block (tile_blocks<Cfg>)
  int unsplit_rows;
  int c_split;
  bool relu;
  bool vector_input;     // c % 8 == 0 and x 16-byte aligned: input tiles may be copied 8 channels at a time
  bool vector_output;    // k % 4 == 0 and y 8-byte aligned: 4 channels of an output pixel may be stored at once
  bool filter_settled;   // the stream's previous kernel does not write u (WinoFilterState::kSettled)
};

// Tiles sized for 64 KB of shared memory per block, the LDS of a CDNA workgroup: the AMD build always uses them;
// an NVIDIA build may define NOVA_WINO_SMALL_SHARED to run (and so test) the same tiles. F(6,3) and compensated
// F(4,3) do not fit there.
#if defined(NOVA_PLATFORM_AMD) && !defined(NOVA_WINO_SMALL_SHARED)
#define NOVA_WINO_SMALL_SHARED 1
#endif  // NOVA_PLATFORM_AMD && !NOVA_WINO_SMALL_SHARED

// nullptr when F(m,3) (compensated or not) applies to the shape, else the reason.
inline const char* can_implement(const ConvShape& s, int m, bool compensated) {
  if (m == 8)
    return "F(8,3) is not built: its fp16-storage error on N(0,1) data is 3.4e-2 with the default points and "
           "about 3.3e-2 at best with any points (docs/numerics.md), over the 1e-2 limit; use compensated "
           "precision on the CPU or F(6,3)";
  if (m != 2 && m != 4 && m != 6) return "Winograd tile size m must be 2, 4 or 6";
#if defined(NOVA_WINO_SMALL_SHARED)
  if (m == 6 || (m == 4 && compensated))
    return "this build's kernels fit 64 KB of shared memory per block (an AMD CDNA workgroup's LDS), where F(6,3) "
           "and compensated F(4,3) do not fit; use F(4,3), F(2,3) or compensated F(2,3)";
#else   // !NOVA_WINO_SMALL_SHARED
  (void)compensated;
#endif  // NOVA_WINO_SMALL_SHARED
  if (s.r != 3 || s.s != 3) return "Winograd F(m,3) needs a 3x3 filter";
  if (s.stride_h != 1 || s.stride_w != 1) return "Winograd needs stride 1";
  if (s.dil_h != 1 || s.dil_w != 1) return "Winograd needs dilation 1";
  if (s.n < 1 || s.c < 1 || s.h < 1 || s.w < 1 || s.k < 1) return "sizes must be positive";
  if (s.pad_h < 0 || s.pad_w < 0 || s.pad_h > 2 || s.pad_w > 2) return "Winograd supports padding 0, 1 or 2";
  if (s.out_h != s.h + 2 * s.pad_h - 2 || s.out_w != s.w + 2 * s.pad_w - 2) return "out_h/out_w disagree with the shape";
  if (s.out_h < 1 || s.out_w < 1) return "output is empty";
  if (s.c > (1 << 19) || s.k > (1 << 19)) return "more than 2^19 channels";
  return nullptr;
}

// u: the prepared filter from wino_prepare_filter.
inline Params make_params(const ConvShape& s, int m, const void* x, const void* u, const void* bias, void* y, bool relu) {
  Params p{};
  p.x = static_cast<const __half*>(x);
  p.u = static_cast<const __half*>(u);
  p.bias = static_cast<const __half*>(bias);
  p.y = static_cast<__half*>(y);
  p.n = s.n, p.c = s.c, p.h = s.h, p.w = s.w, p.k = s.k;
  p.pad_h = s.pad_h, p.pad_w = s.pad_w;
  p.out_h = s.out_h, p.out_w = s.out_w;
  p.tiles_h = (s.out_h + m - 1) / m;
  p.tiles_w = (s.out_w + m - 1) / m;
  p.c_pad = round_up(s.c, kChannelStep);
  p.tiles_total = static_cast<int64_t>(s.n) * p.tiles_h * p.tiles_w;
  p.u_plane = u_plane_elements(m, s.k, s.c);
  p.tile_blocks = 0;  // set by the launcher with the split
  p.unsplit_rows = 0;
  p.c_split = 1;
  p.relu = relu;
  p.vector_input = s.c % 8 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0;
  p.vector_output = s.k % 4 == 0 && reinterpret_cast<uintptr_t>(y) % 8 == 0;
  p.filter_settled = false;
  return p;
}

}  // namespace nova::wino

namespace nova::wino {

// Where U(ξ, k, c) of F(M,3) lives in one plane: [c / 16][k / 64][ξ][(c % 16) / 8][k % 64][c % 8] for F(2,3) (K
// padded to a multiple of 64 with zero rows), [c / 16][ξ][(c % 16) / 8][k][c % 8] for F(4,3) and F(6,3). Either way a
// main-loop step of a block (16 channels, all α² positions, a run of k) reads runs of contiguous 16-byte vectors,
// consecutive k next to each other; a plane holds u_plane_elements halves.
template <int M>
NOVA_HD inline int64_t u_index(int position, int k, int c, int k_total) {
  constexpr int kPositions = (M + 2) * (M + 2);
  const int64_t group = c / kChannelStep, half = (c % kChannelStep) / 8;
  if constexpr (filter_k_blocked(M)) {
    const int k_blocks = (k_total + kFilterKBlock - 1) / kFilterKBlock;
    const int64_t run = (group * k_blocks + k / kFilterKBlock) * kPositions + position;
    return ((run * 2 + half) * kFilterKBlock + k % kFilterKBlock) * 8 + c % 8;
  } else {
    return (((group * kPositions + position) * 2 + half) * k_total + k) * 8 + c % 8;
  }
}

// Distance (halves) in U between (ξ, k, c) and (ξ + 1, k, c).
template <int M>
NOVA_HD inline int64_t u_position_stride(int k_total) {
  return static_cast<int64_t>(filter_k_blocked(M) ? kFilterKBlock : k_total) * kChannelStep;
}

}  // namespace nova::wino
