// The fused F(m,3) forward kernel. One block computes kBlockTiles output tiles × kBlockK output channels:
//   for each step of 16 input channels (in rounds of two steps that share one block barrier for F(2,3)'s
//   64-channel rectangles on sm_90a, kRoundSteps):
//     load_input_async   the α×α×16 input tiles, copied asynchronously one step ahead into shared memory
//                        (16-byte copies along C), each tile alone or, when the block's tiles are a rectangle of
//                        one image (or the same rectangle of two, kRegionImages), the rectangle's input region once
//                        (by one tensor copy for F(2,3)'s 64-channel block on sm_90a, a round ahead); scalar loads
//                        (load_input_tile_scalar) when C is not a multiple of 8 or when compensated
//     load_filter_step   U for (α² positions, kBlockK, 16 channels), copied asynchronously: 16 bytes per thread,
//                        or one bulk copy of the step for F(2,3)'s 64-channel block on sm_90a (kFilterBulkCopies)
//     transform_input    V = Bᵀ d B, fp32 math, stored fp16 (hi, lo) in shared memory: on the matrix units as
//                        (Bᵀ ⊗ Bᵀ)·d where the input is staged and Bᵀ ⊗ Bᵀ is exact in fp16 (F(2,3), F(6,3)),
//                        else one (tile, channel) per thread
//     multiply           M[ξ] += U[ξ] · V[ξ] on the matrix units, fp32 accumulators in registers; warp w owns
//                        positions ξ ∈ [w·α²/kWarps, (w+1)·α²/kWarps), or with warpgroup products (sm_90a,
//                        64-channel blocks) warpgroup w / 4 a share of the positions and warp w 16 channels
//   then transform_output Y = Aᵀ M A (fp32, through shared memory; F(2,3)'s 16-warp block applies M A in registers
//   first) and the epilogue (bias, ReLU, fp16 store).
// Channel split (Params::c_split > 1, NVIDIA sm_90+): the c_split blocks of a split cluster (blockIdx.z = rank) share
// one block tile, each reducing its own range of channel steps; each transforms its partial M to a partial Y in
// its shared memory (the output transform is linear), and after a cluster barrier each block sums its share of
// the tiles over the cluster's shared memories and stores them. This fills the device when the grid is small
// (batch 1) without a workspace in device memory. A grid's first rows of k blocks may be unsplit, each block of a
// cluster taking a whole block tile, so that only its last wave is split and fills the device (block_tile_index).
// On sm_90a the kernel is launched overlapping the stream's previous kernel (programmatic dependent launch): a
// block reads and writes device memory only after dependent_launch::wait() and lets the next kernel start once past
// its main loop (dependent_launch::release()).
// Persistent blocks (kPersistent, sm_90a's tensor-copy path, unsplit grids of more than one wave): one wave of blocks,
// each running block tiles one after another; the next tile's first regions and U are copied while this tile's
// epilogue runs (the epilogue storage then starts past the staged regions and ends before U).
// Nothing but the input, U and the output touches device memory. Shared memory is a union of the main-loop
// and the epilogue storage. Compensated mode keeps V and U as fp16 hi + fp16 lo and accumulates
// hi·hi + hi·lo + lo·hi.
#pragma once

#include "../compat/hip_compat.hpp"
#include "../mma/mma.hpp"
#include "params.hpp"
#include "transforms.hpp"

#include <type_traits>

namespace nova::wino {

template <int M, int kBlockK_, int kBlockTiles_, int kWarps_, bool kCompensated_, bool kStageInput_,
          int kFilterStages_ = 1, int kBlocksPerSm_ = 1, int kRegionRows_ = 0, int kRegionImages_ = 1>
struct FusedConfig {
  static constexpr int kM = M;
  static constexpr int kBlockK = kBlockK_;
  static constexpr int kBlockTiles = kBlockTiles_;
  static constexpr int kWarps = kWarps_;
  static constexpr bool kCompensated = kCompensated_;
  static constexpr bool kStageInput = kStageInput_;  // input tiles through shared memory, copied ahead
  // 2 to 4: U of the next step is copied during this one; 3 also lets warpgroup products, which read U from shared
  // memory, stay in flight while the next step is prepared; 4 (with a third V buffer) lets a step end without a
  // barrier.
  static constexpr int kFilterStages = kFilterStages_;
  static constexpr int kBlocksPerSm = kBlocksPerSm_;    // resident blocks the register budget is cut for
  static constexpr int kAlpha = M + 2;
  static constexpr int kPositions = kAlpha * kAlpha;
  static constexpr int kThreads = kWarps * kWarpSize;
  static constexpr int kPositionsPerWarp = kPositions / kWarps;
  static constexpr int kKTiles = kBlockK / 16;
  static constexpr int kTTiles = kBlockTiles / 16;
  static constexpr int kPlanes = kCompensated ? 2 : 1;
  // Which tiles a block takes: kRegionRows > 0 makes them the same rectangle of kRegionRows × kRegionCols tiles in
  // each of kRegionImages consecutive images (two where a whole image is one small rectangle, so that no tile slot
  // is left empty), whose input region ((m·rows + 2) × (m·cols + 2) pixels an image, neighbouring tiles sharing 2
  // pixel rows and columns) is staged once per step; else kBlockTiles consecutive tiles, each staged alone (α²
  // pixels).
  static constexpr int kRegionRows = kRegionRows_;
  static constexpr int kRegionImages = kRegionImages_;
  static constexpr bool kRegion = kRegionRows > 0;
  static constexpr int kRegionCols = kRegion ? kBlockTiles / (kRegionRows * kRegionImages) : 0;
  static constexpr int kRegionImageH = M * kRegionRows + 2, kRegionW = M * kRegionCols + 2;
  static constexpr int kRegionH = kRegionImages * kRegionImageH;  // the images' regions one below the other
  // A staged region is kRegionH rows of kRegionBoxW ≥ kRegionW pixels (≡ 4 mod 8), 16 channels (32 bytes) each, the
  // two 8-channel halves of every pixel whose index has bit 2 set swapped (region_element): the layout a tensor
  // copy with the 32-byte swizzle lands (kRegionTensorCopies), and one in which the 2 × 4 pixels of an F(2,3) tile
  // that one ldmatrix reads fall in distinct banks wherever the tile starts (checked for every tile of the block).
  static constexpr int kRegionBoxW = kRegion ? kRegionW + (12 - kRegionW % 8) % 8 : 0;
  // Pitch (halves) of one staged input tile: α² pixels × 16 channels + 16, so the two tiles a warp reads fall
  // in different banks.
  static constexpr int kRawTilePitch = kPositions * kChannelStep + 16;
  static constexpr int kRawStageHalves =
      !kStageInput ? 8 : kRegion ? kRegionH * kRegionBoxW * kChannelStep : kBlockTiles * kRawTilePitch;
  // Pitch (floats) of the k rows of M: +4 spreads the fragment stores over all banks.
  static constexpr int kMLd = kBlockK + 4;
  static_assert(kPositions % kWarps == 0, "each warp owns the same number of positions");
  static_assert(kBlockK % 16 == 0 && kBlockTiles % 16 == 0, "block tile is made of 16x16 products");
  static_assert(kThreads % (2 * kBlockK) == 0, "the U copy gives each thread a fixed (k, half-row)");
  static_assert(kFilterStages >= 1 && kFilterStages <= 4, "one to four U buffers");
  static_assert(kRegion || !kStageInput || (kBlockTiles * kPositions * 2) % kThreads == 0, "whole input copy rounds");
  static_assert(!kRegion || (kStageInput && kBlockTiles % (kRegion ? kRegionRows * kRegionImages : 1) == 0),
                "a staged rectangle of tiles");
  static_assert(kRegionImages == 1 || kRegion, "several images only as rectangles");
  // The input transform on the matrix units: per staged tile, D(ξ, channel) = Σ_pixel (Bᵀ ⊗ Bᵀ)(ξ, pixel) ·
  // d(pixel, channel), the 16×16 blocks of Bᵀ ⊗ Bᵀ held as A fragments (warp w owns the row block
  // w % kInputBlocks). Only where Bᵀ ⊗ Bᵀ is exact in fp16 and fills whole blocks (F(2,3), F(6,3)): F(4,3) as
  // hi + lo terms padded to 48×48 was 15–66 % slower than on the CUDA cores (bench/NOTES.md).
  static constexpr int kInputBlocks = kPositions / 16;
  static constexpr bool kInputOnMatrixUnits =
      kStageInput && kPositions % 16 == 0 && kWarps % kInputBlocks == 0 && input_transform_exact_in_fp16<M>();
  // The block shapes warpgroup products (wgmma, sm_90a) take: 64 output channels (their M) × 32 or 16 tiles (their N).
  static constexpr bool kWarpgroupShape = kBlockK == 64 && (kBlockTiles == 32 || kBlockTiles == 16) &&
                                          kWarps % 4 == 0 && kPositions % (kWarps / 4) == 0;
  // U(ξ, k, channel) at u[..][ξ][u_offset(k, channel)]: the two 8-channel halves of all kBlockK rows one after the
  // other, so 8 consecutive k of one half are a 128-byte core matrix (conflict-free ldmatrix, no padding) and a
  // half's kBlockK rows are one contiguous run, as in device memory (u_index).
  NOVA_HD static constexpr int u_offset(int k, int channel) { return ((channel / 8) * kBlockK + k) * 8 + channel % 8; }
  // U by one bulk copy per step (a block's step of U is one contiguous run when kBlockK is u_index's k block) where
  // the warpgroup products read it from three or four buffers; sm_90a passes only (kSm90aPass).
  static constexpr bool kFilterBulkCopies =
      kWarpgroupShape && !kCompensated && kFilterStages >= 3 && filter_k_blocked(M) && kBlockK == kFilterKBlock;
  static constexpr unsigned kFilterStepBytes = kPositions * kBlockK * kChannelStep * 2;
  // The region by one thread's tensor copy per step where U comes by bulk copies: a step's copies are then two
  // instructions, counted on barriers, and no block barrier waits for them (sm_90a passes only). The 32-channel
  // tile, whose U comes by 16-byte copies, gained nothing from tensor copies of its region (bench/NOTES.md v18).
  static constexpr bool kRegionTensorCopies = kRegion && kFilterBulkCopies;
  // Channel steps per round of the main loop: a round's steps share one block barrier and one wait for the
  // products. Two where all copies are bulk or tensor copies (F(2,3)'s 64-channel rectangles): 15–21 % faster than
  // one on the large layers, up to 7 % on small ones (bench/NOTES.md v22); the buffers then hold two rounds of steps
  // (four input stages, four V and four U).
  static constexpr int kRoundSteps = kRegionTensorCopies ? 2 : 1;
  // V(ξ, tile, channel) at v[ξ][v_offset(tile, channel)]: 8 tiles × 8 channels per 128-byte core matrix (the
  // operand layout of ldmatrix and of wgmma), the two channel halves of 8 tiles kVHalfStride halves apart: 80 (a
  // warp's fp16 stores of two tiles × 16 channels, one thread per (tile, channel), then fall in distinct banks), or
  // 64 where the four V buffers of rounds need the room (staged input: fragment stores, conflict-free either way).
  static constexpr int kVHalfStride = kRoundSteps == 2 ? 64 : 80;
  static constexpr int kVGroupStride = 2 * kVHalfStride;
  NOVA_HD static constexpr int v_offset(int tile, int channel) {
    return (tile / 8) * kVGroupStride + (channel / 8) * kVHalfStride + (tile % 8) * 8 + channel % 8;
  }
  // Halves per position ξ: +8 so the 16 ξ rows of a fragment store fall in distinct banks.
  static constexpr int kVPitch = kBlockTiles / 8 * kVGroupStride + 8;
  // Warpgroup-shape blocks keep two V buffers (three with four U buffers: two would do, three measured 4–5 %
  // faster; four with rounds of two steps), so the products of one step run while the next step's V is computed.
  static constexpr int kVStages = kWarpgroupShape ? (kRoundSteps == 2 ? 4 : kFilterStages == 4 ? 3 : 2) : 1;
  // Input stages: with rounds, the regions of two rounds (copied a round ahead of the round that transforms them:
  // the v20 look-ahead of two steps); else the step's and the next one's.
  static constexpr int kRawStages = !kStageInput ? 1 : 2 * kRoundSteps;
  static constexpr unsigned kRawStageBytes = kRawStageHalves * 2;
  static_assert(!kRegionTensorCopies || kRawStageBytes % 256 == 0, "every stage aligned as the swizzle needs");
  static_assert(kRoundSteps == 1 || (kFilterStages == 2 * kRoundSteps && kVStages == 2 * kRoundSteps),
                "rounds keep two rounds of U and V");
  using VBuffer = __half[kPlanes][kPositions][kVPitch];  // V(ξ, tile, channel) at [plane][ξ][v_offset(tile, channel)]
  // Offset (halves) in a stage of the region's pixel (row i, column j), channel c (see kRegionBoxW).
  NOVA_HD static constexpr int region_element(int i, int j, int channel) {
    const int pixel = i * kRegionBoxW + j;
    return pixel * kChannelStep + (channel ^ (((pixel >> 2) & 1) << 3));
  }
  // Offset (halves) in a stage of staged tile t's (pixel, channel): in the region, or in the tile's own α² pixels,
  // where the matrix-unit transform swaps a pixel's 8-channel halves every 4 pixels for the same reason.
  NOVA_HD static constexpr int raw_element(int t, int pixel, int channel) {
    if constexpr (kRegion) {
      constexpr int kImageTiles = kRegionRows * kRegionCols;
      // One image: no division by kImageTiles in the transform's addressing (t < kImageTiles is not known here).
      const int image = kRegionImages == 1 ? 0 : t / kImageTiles, rest = kRegionImages == 1 ? t : t % kImageTiles;
      return region_element(image * kRegionImageH + (rest / kRegionCols) * M + pixel / kAlpha,
                            (rest % kRegionCols) * M + pixel % kAlpha, channel);
    }
    else
      return t * kRawTilePitch + pixel * kChannelStep +
             (kInputOnMatrixUnits ? channel ^ (((pixel >> 2) & 1) << 3) : channel);
  }

  // The epilogue's storage overlays the main loop's. With tensor copies it starts past the staged regions and ends
  // before U where it keeps M A (α·m rows, F(2,3)'s 16-warp block on sm_90a), so that a persistent block can copy its
  // next tile's first regions and U during this tile's epilogue; those rows take kEpilogueRoom bytes more than V.
  static constexpr size_t kVBytes = sizeof(VBuffer) * kVStages;
  static constexpr size_t kRightAppliedBytes = sizeof(float) * kAlpha * M * kBlockTiles * kMLd;
  static constexpr size_t kEpilogueRoom =
      kRegionTensorCopies && kRightAppliedBytes > kVBytes ? kRightAppliedBytes - kVBytes : 0;
  static_assert(kEpilogueRoom % 256 == 0, "U stays aligned");
  // The stored arrays, named once for both layouts of each storage.
  using RawStages = __half[kRawStages][kRawStageHalves];  // first: a tensor copy's destination is 256-byte aligned
  using UStages = __half[kFilterStages][kPlanes][kPositions][kBlockK * kChannelStep];  // U(ξ, k, channel) at u_offset
  using MRows = float[kPositions][kBlockTiles][kMLd];  // M(ξ, tile, k)
  struct PlainMainLoopStorage {
    RawStages raw;
    VBuffer v[kVStages];
    UStages u;
  };
  struct RoomyMainLoopStorage {
    RawStages raw;
    VBuffer v[kVStages];
    unsigned char epilogue_room[kEpilogueRoom > 0 ? kEpilogueRoom : 1];
    UStages u;
  };
  using MainLoopStorage = std::conditional_t<(kEpilogueRoom > 0), RoomyMainLoopStorage, PlainMainLoopStorage>;
  struct PlainEpilogueStorage {
    MRows m;
  };
  struct RegionsKeptEpilogueStorage {
    RawStages regions_kept;
    MRows m;
  };
  using EpilogueStorage = std::conditional_t<kRegionTensorCopies, RegionsKeptEpilogueStorage, PlainEpilogueStorage>;
  union SharedStorage {
    MainLoopStorage main_loop;
    EpilogueStorage epilogue;
  };
  static constexpr size_t kSharedBytes = sizeof(SharedStorage);
};

// A block's tile: tile block blockIdx.x, k block blockIdx.y, shared by the cluster's c_split blocks (rank
// blockIdx.z). Kernels with kMixedRows also take grids whose rows y < unsplit_rows give each block of a cluster its
// own tile block, blockIdx.x · c_split + blockIdx.z (past Params::tile_blocks for an overhanging cluster's spare
// blocks). A separate kernel because those selects cost the kernel without them 1–4 % (bench/NOTES.md v24): its
// index arithmetic then left the uniform datapath.
template <bool kMixedRows>
__device__ inline bool block_unsplit(const Params& p) {
  return kMixedRows && static_cast<int>(blockIdx.y) < p.unsplit_rows;
}
template <bool kMixedRows>
__device__ inline int64_t block_tile_index(const Params& p) {
  return block_unsplit<kMixedRows>(p) ? static_cast<int64_t>(blockIdx.x) * p.c_split + blockIdx.z : blockIdx.x;
}

// The blocks that share this block's tile (1: unsplit) and this block's rank among them; it reduces the channel
// steps [steps·rank/split, steps·(rank + 1)/split).
template <bool kMixedRows>
__device__ inline int block_split(const Params& p) { return block_unsplit<kMixedRows>(p) ? 1 : p.c_split; }
template <bool kMixedRows>
__device__ inline int block_rank(const Params& p) {
  return block_unsplit<kMixedRows>(p) ? 0 : static_cast<int>(blockIdx.z);
}

// Where one tile of the block reads and writes, computed once per block (no divisions in the main loop).
// 24 bytes: with 32 the static shared memory of a block of two images' rectangles passed the 227 KB a block may have.
struct TileInfo {
  int64_t input_offset;   // element offset of input pixel (row − pad_h, col − pad_w) at channel 0; may be < 0
  int64_t output_offset;  // element offset of output pixel (row, col) at channel 0
  uint8_t row_mask;       // bit i: input row (row − pad_h + i) exists (none set for a tile past the end); α ≤ 8
  uint8_t col_mask;       // bit j: input column exists
  int8_t out_rows, out_cols;  // outputs of this tile inside the image
};
static_assert(sizeof(TileInfo) == 24, "tile infos packed");

// Blocks along the grid's x dimension: one per kBlockTiles consecutive tiles, or per rectangle of tiles of an image.
template <class Cfg>
NOVA_HD inline int64_t tile_blocks(const Params& p) {
  if constexpr (Cfg::kRegion)
    return static_cast<int64_t>((p.n + Cfg::kRegionImages - 1) / Cfg::kRegionImages) *
           ((p.tiles_h + Cfg::kRegionRows - 1) / Cfg::kRegionRows) *
           ((p.tiles_w + Cfg::kRegionCols - 1) / Cfg::kRegionCols);
  else
    return (p.tiles_total + Cfg::kBlockTiles - 1) / Cfg::kBlockTiles;
}

// Image, tile row and tile column of tile t of block `block`; false for a tile past the batch or the image.
template <class Cfg>
__device__ inline bool block_tile(const Params& p, int64_t block, int t, int& image, int& tile_row, int& tile_col) {
  if constexpr (Cfg::kRegion) {
    constexpr int kImageTiles = Cfg::kRegionRows * Cfg::kRegionCols;
    const int blocks_w = (p.tiles_w + Cfg::kRegionCols - 1) / Cfg::kRegionCols;
    const int64_t per_group = static_cast<int64_t>(blocks_w) * ((p.tiles_h + Cfg::kRegionRows - 1) / Cfg::kRegionRows);
    const int group = static_cast<int>(block / per_group), rest = static_cast<int>(block - group * per_group);
    image = group * Cfg::kRegionImages + t / kImageTiles;
    tile_row = (rest / blocks_w) * Cfg::kRegionRows + t % kImageTiles / Cfg::kRegionCols;
    tile_col = (rest % blocks_w) * Cfg::kRegionCols + t % Cfg::kRegionCols;
    return image < p.n && tile_row < p.tiles_h && tile_col < p.tiles_w;
  } else {
    const int64_t tile = block * Cfg::kBlockTiles + t;
    if (tile >= p.tiles_total) return false;
    const int64_t per_image = static_cast<int64_t>(p.tiles_h) * p.tiles_w;
    image = static_cast<int>(tile / per_image);
    const int rest = static_cast<int>(tile - image * per_image);
    tile_row = rest / p.tiles_w;
    tile_col = rest % p.tiles_w;
    return true;
  }
}

template <class Cfg>
__device__ inline void compute_tile_info(const Params& p, int64_t tile_block, TileInfo* info) {
  for (int t = threadIdx.x; t < Cfg::kBlockTiles; t += Cfg::kThreads) {
    TileInfo ti{0, 0, 0u, 0u, 0, 0};
    int image, tile_row, tile_col;
    if (block_tile<Cfg>(p, tile_block, t, image, tile_row, tile_col)) {
      const int row = tile_row * Cfg::kM, col = tile_col * Cfg::kM;
      const int ih0 = row - p.pad_h, iw0 = col - p.pad_w;
      ti.input_offset = ((static_cast<int64_t>(image) * p.h + ih0) * p.w + iw0) * p.c;
      ti.output_offset = ((static_cast<int64_t>(image) * p.out_h + row) * p.out_w + col) * p.k;
      for (int i = 0; i < Cfg::kAlpha; ++i) {
        if (ih0 + i >= 0 && ih0 + i < p.h) ti.row_mask |= 1u << i;
        if (iw0 + i >= 0 && iw0 + i < p.w) ti.col_mask |= 1u << i;
      }
      ti.out_rows = min(Cfg::kM, p.out_h - row);
      ti.out_cols = min(Cfg::kM, p.out_w - col);
    }
    info[t] = ti;
  }
}

// The input pixels a block of a rectangle of tiles reads: rows [row0, row0 + kRegionImageH), columns [col0, …) of
// images [image, image + kRegionImages) (negative or past the image at the borders, past the batch).
struct InputRegion {
  int64_t image_offset;  // element offset of the image's pixel (0, 0)
  int image, row0, col0;
};

template <class Cfg>
__device__ inline InputRegion block_input_region(const Params& p, int64_t tile_block) {
  int image = 0, tile_row = 0, tile_col = 0;
  if constexpr (Cfg::kRegion) block_tile<Cfg>(p, tile_block, 0, image, tile_row, tile_col);
  return {static_cast<int64_t>(image) * p.h * p.w * p.c, image, tile_row * Cfg::kM - p.pad_h,
          tile_col * Cfg::kM - p.pad_w};
}

// Issues the 16-byte copies of the block's staged input for channels [c0, c0 + 16) into one stage of
// MainLoopStorage::raw: its region, or each of its tiles (zeros outside the image and past C; needs C % 8 == 0 and
// a 16-byte aligned input).
template <class Cfg>
__device__ inline void load_input_async(const Params& p, const TileInfo* info, const InputRegion& region, __half* raw,
                                        int c0) {
  const int64_t row_stride = static_cast<int64_t>(p.w) * p.c;
  if constexpr (Cfg::kRegion) {
    constexpr int kCopies = Cfg::kRegionH * Cfg::kRegionW * 2;
#pragma unroll
    for (int round = 0; round < (kCopies + Cfg::kThreads - 1) / Cfg::kThreads; ++round) {
      const int index = round * Cfg::kThreads + static_cast<int>(threadIdx.x);
      if (kCopies % Cfg::kThreads != 0 && index >= kCopies) break;
      const int half_pixel = index & 1, pixel = index >> 1;
      const int i = pixel / Cfg::kRegionW, j = pixel % Cfg::kRegionW;
      constexpr bool kOneImage = Cfg::kRegionImages == 1;
      const int image = kOneImage ? 0 : i / Cfg::kRegionImageH;
      const int row = region.row0 + (kOneImage ? i : i % Cfg::kRegionImageH), col = region.col0 + j;
      const int c = c0 + 8 * half_pixel;
      const bool valid = static_cast<unsigned>(row) < static_cast<unsigned>(p.h) &&
                         static_cast<unsigned>(col) < static_cast<unsigned>(p.w) && c < p.c &&
                         (kOneImage || region.image + image < p.n);
      const __half* src = valid ? p.x + region.image_offset + image * p.h * row_stride + row * row_stride +
                                      static_cast<int64_t>(col) * p.c + c
                                : p.x;
      mma::copy_async_16(raw + Cfg::region_element(i, j, 8 * half_pixel), src, valid);
    }
  } else {
    constexpr int kCopies = Cfg::kBlockTiles * Cfg::kPositions * 2;
#pragma unroll
    for (int round = 0; round < kCopies / Cfg::kThreads; ++round) {
      const int index = round * Cfg::kThreads + static_cast<int>(threadIdx.x);
      const int half_pixel = index & 1;
      const int pixel = (index >> 1) % Cfg::kPositions;
      const int t = (index >> 1) / Cfg::kPositions;
      const int i = pixel / Cfg::kAlpha, j = pixel % Cfg::kAlpha;
      const TileInfo& ti = info[t];
      const int c = c0 + 8 * half_pixel;
      const bool valid = ((ti.row_mask >> i) & (ti.col_mask >> j) & 1u) && c < p.c;
      const __half* src = valid ? p.x + ti.input_offset + i * row_stride + static_cast<int64_t>(j) * p.c + c : p.x;
      mma::copy_async_16(raw + Cfg::raw_element(t, pixel, 8 * half_pixel), src, valid);
    }
  }
}

// d for (tile t, channel c0 + c_local) straight from device memory, any C.
template <class Cfg>
__device__ inline void load_input_tile_scalar(const Params& p, const TileInfo& ti, int c, float (&d)[Cfg::kAlpha][Cfg::kAlpha]) {
  const int64_t row_stride = static_cast<int64_t>(p.w) * p.c;
  const bool channel_ok = c < p.c;
#pragma unroll
  for (int i = 0; i < Cfg::kAlpha; ++i)
#pragma unroll
    for (int j = 0; j < Cfg::kAlpha; ++j)
      d[i][j] = channel_ok && ((ti.row_mask >> i) & (ti.col_mask >> j) & 1u)
                    ? __half2float(p.x[ti.input_offset + i * row_stride + static_cast<int64_t>(j) * p.c + c])
                    : 0.0f;
}

template <class Cfg>
__device__ inline void transform_input_and_store(float (&d)[Cfg::kAlpha][Cfg::kAlpha], typename Cfg::VBuffer& v_out,
                                                 int t_local, int c_local) {
  constexpr int kA = Cfg::kAlpha;
  float v[kA][kA];
  transform_input<Cfg::kM>(d, v);
#pragma unroll
  for (int i = 0; i < kA; ++i)
#pragma unroll
    for (int j = 0; j < kA; ++j) {
      const __half hi = __float2half_rn(v[i][j]);
      v_out[0][i * kA + j][Cfg::v_offset(t_local, c_local)] = hi;
      if constexpr (Cfg::kCompensated)
        v_out[Cfg::kPlanes - 1][i * kA + j][Cfg::v_offset(t_local, c_local)] =
            __float2half_rn(v[i][j] - __half2float(hi));
    }
}

// V for the step's 16 channels: on the matrix units from the staged tiles (Cfg::kInputOnMatrixUnits), else one
// (tile, channel) pair per thread per round with d from the staged tiles or from device memory.
template <class Cfg, bool kStaged>
__device__ inline void transform_input_step(const Params& p, const TileInfo* info, typename Cfg::MainLoopStorage& s,
                                            typename Cfg::VBuffer& v_out, int stage, int c0, int warp,
                                            const mma::FragA (&bb)[Cfg::kInputBlocks]) {
  constexpr int kA = Cfg::kAlpha;
  if constexpr (kStaged && Cfg::kInputOnMatrixUnits) {
    constexpr int kTileStride = Cfg::kWarps / Cfg::kInputBlocks;  // warps per 16-row block
    static_assert(Cfg::kBlockTiles % kTileStride == 0, "every warp transforms as many tiles");
    const int block = warp % Cfg::kInputBlocks;
    // Fully unrolled, so the tiles' ldmatrix → MMA → store chains overlap (2 at a time was 1–4 % slower, NOTES v11).
#pragma unroll
    for (int j = 0; j < Cfg::kBlockTiles / kTileStride; ++j) {
      const int t = warp / Cfg::kInputBlocks + j * kTileStride;
      const __half* raw = s.raw[stage];
      mma::FragD d;
      mma::zero(d);
#pragma unroll
      for (int chunk = 0; chunk < Cfg::kInputBlocks; ++chunk) {
        mma::FragB pixels;
        mma::load_b_k_rows(pixels, [&](int k, int n0) { return raw + Cfg::raw_element(t, 16 * chunk + k, n0); });
        mma::mma(d, bb[chunk], pixels);
      }
      mma::store_d_half(
          d, [&](int m, int n) { return &v_out[0][16 * block + m][Cfg::v_offset(t, n)]; },
          Cfg::kCompensated ? Cfg::kPositions * Cfg::kVPitch : 0);
    }
  } else {
    for (int pair = threadIdx.x; pair < Cfg::kBlockTiles * kChannelStep; pair += Cfg::kThreads) {
      const int c_local = pair % kChannelStep, t_local = pair / kChannelStep;
      float d[kA][kA];
      if constexpr (kStaged) {
        const __half* raw = s.raw[stage];
#pragma unroll
        for (int i = 0; i < kA; ++i)
#pragma unroll
          for (int j = 0; j < kA; ++j) d[i][j] = __half2float(raw[Cfg::raw_element(t_local, i * kA + j, c_local)]);
      } else {
        const TileInfo ti = info[t_local];
        load_input_tile_scalar<Cfg>(p, ti, c0 + c_local, d);
      }
      transform_input_and_store<Cfg>(d, v_out, t_local, c_local);
    }
  }
}

// Issues the asynchronous copies of U for one step into buffer `stage`.
template <class Cfg>
__device__ inline void load_filter_step(const Params& p, typename Cfg::MainLoopStorage& s, int stage, int k0, int c0) {
  // Each thread copies a fixed (k, half-row) for positions ξ = first, first + stride, …, in every plane.
  // Consecutive threads take consecutive k: contiguous in device memory (see u_index) and in shared memory.
  constexpr int kPositionStride = Cfg::kThreads / (2 * Cfg::kBlockK);
  const int k_local = threadIdx.x % Cfg::kBlockK;
  const int half_row = (threadIdx.x / Cfg::kBlockK) & 1;
  const int first = threadIdx.x / (2 * Cfg::kBlockK);
  const int k = k0 + k_local;
  const bool valid = k < p.k;
  const int64_t position_stride = u_position_stride<Cfg::kM>(p.k);
  const __half* src0 = p.u + u_index<Cfg::kM>(first, valid ? k : 0, c0 + 8 * half_row, p.k);
#pragma unroll
  for (int plane = 0; plane < Cfg::kPlanes; ++plane)
#pragma unroll
    for (int position = first, n = 0; n < (Cfg::kPositions + kPositionStride - 1) / kPositionStride;
         ++n, position += kPositionStride)
      if (position < Cfg::kPositions)
        mma::copy_async_16(&s.u[stage][plane][position][Cfg::u_offset(k_local, 8 * half_row)],
                           src0 + plane * p.u_plane + (position - first) * position_stride, valid);
}

// The A fragment of output channels [k0, k0 + 16) of one position's U.
template <class Cfg>
__device__ inline void load_u(mma::FragA& f, const __half* u_position, int k0) {
  mma::load_a(f, [&](int m, int channel0) { return u_position + Cfg::u_offset(k0 + m, channel0); });
}

template <class Cfg>
__device__ inline void multiply(const typename Cfg::MainLoopStorage& s, const typename Cfg::VBuffer& v, int stage,
                                int warp,
                                mma::FragD (&acc)[Cfg::kPositionsPerWarp][Cfg::kKTiles][Cfg::kTTiles]) {
#pragma unroll
  for (int q = 0; q < Cfg::kPositionsPerWarp; ++q) {
    const int position = warp * Cfg::kPositionsPerWarp + q;
    mma::FragB v_hi[Cfg::kTTiles], v_lo[Cfg::kTTiles];
#pragma unroll
    for (int tt = 0; tt < Cfg::kTTiles; ++tt) {
      mma::load_b(v_hi[tt], [&](int n, int k0) { return &v[0][position][Cfg::v_offset(16 * tt + n, k0)]; });
      if constexpr (Cfg::kCompensated)
        mma::load_b(v_lo[tt], [&](int n, int k0) { return &v[1][position][Cfg::v_offset(16 * tt + n, k0)]; });
    }
#pragma unroll
    for (int kt = 0; kt < Cfg::kKTiles; ++kt) {
      mma::FragA u_hi, u_lo;
      load_u<Cfg>(u_hi, s.u[stage][0][position], 16 * kt);
      if constexpr (Cfg::kCompensated) load_u<Cfg>(u_lo, s.u[stage][1][position], 16 * kt);
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

// Whether this compilation pass has sm_90a's warpgroup products, bulk and tensor copies: the kernel uses them where
// its Cfg asks (kWarpgroupShape, kFilterBulkCopies, kRegionTensorCopies), other passes run the same blocks without.
#if defined(NOVA_MMA_WGMMA)
inline constexpr bool kSm90aPass = true;
#else   // !NOVA_MMA_WGMMA
inline constexpr bool kSm90aPass = false;
#endif  // NOVA_MMA_WGMMA

// The barriers bulk and tensor copies count their bytes on, one per U buffer and one per input stage (outside the
// main loop / epilogue union).
template <class Cfg>
struct CopyBarriers {
  unsigned long long filter[Cfg::kFilterStages];
  unsigned long long region[Cfg::kRawStages];
};

// Names one instantiation of the fused kernel (its template arguments), for what each kernel must have its own of.
template <class Cfg, bool kStaged, bool kMixedRows, bool kPersistent>
struct FusedKernelTag {};

#if defined(NOVA_MMA_WGMMA)
// The copy barriers of the kernel tagged Kernel. Shared by two kernels (a Cfg with and without kMixedRows), the static
// became one module-scope variable and the kernels that use it ran up to 3 % slower than with one each (H200,
// bench/NOTES.md v24c).
template <class Cfg, class Kernel>
__device__ inline CopyBarriers<Cfg>& copy_barriers() {
  __shared__ CopyBarriers<Cfg> barriers;
  return barriers;
}

// One thread's bulk copy of U for one step (channels [c0, c0 + 16), output channels [k0, k0 + 64)) into buffer
// `stage`, counted on that buffer's barrier.
template <class Cfg, class Kernel>
__device__ inline void copy_filter_step(const Params& p, typename Cfg::MainLoopStorage& s, int stage, int k0, int c0) {
  mma::bulk_copy(&s.u[stage][0][0][0], p.u + u_index<Cfg::kM>(0, k0, c0, p.k), Cfg::kFilterStepBytes,
                 &copy_barriers<Cfg, Kernel>().filter[stage]);
}

// Descriptors of U (buffer 0, hi plane) and V (buffer 0, hi plane) at the first position of a warpgroup's share;
// every product's operands are these advanced by constant offsets, so a step builds no descriptor.
struct WarpgroupOperands {
  unsigned long long u, v;
};

template <class Cfg, int kPositionsPerGroup>
__device__ inline WarpgroupOperands warpgroup_operands(const typename Cfg::MainLoopStorage& s, int warp) {
  constexpr int kKStride = 2 * Cfg::kVHalfStride, kNStride = 2 * Cfg::kVGroupStride;  // bytes
  constexpr int kUKStride = 2 * 8 * Cfg::kBlockK, kUMStride = 2 * 8 * 8;                  // bytes, see u_offset
  // Broadcast from lane 0, so the compiler sees the warp index, and the descriptors, as uniform over the warp.
  const int position0 = (__shfl_sync(0xffffffffu, warp, 0) / 4) * kPositionsPerGroup;
  return {mma::warpgroup_descriptor(&s.u[0][0][position0][0], kUKStride, kUMStride),
          mma::warpgroup_descriptor(&s.v[0][0][position0][0], kKStride, kNStride)};
}

// Issues M[ξ] += U[ξ] · V[ξ] (M[ξ] = … when !accumulate, the block's first step) for the kPositionsPerGroup
// positions of this warp's warpgroup as one group of asynchronous products, U (all kBlockK = 64 output channels,
// buffer u_stage) and V (buffer v_stage) through descriptors of their core-matrix layouts. Reading U from shared
// memory rather than loading it into registers first took F(2,3) 5–7 % less time at batch 32 (bench/NOTES.md v13);
// the products then read U until they complete, so its buffer is not refilled while they are in flight (three or
// four U buffers, or a wait per step).
template <class Cfg, int kPositionsPerGroup>
__device__ inline void multiply_warpgroup(const WarpgroupOperands& operands, int u_stage, int v_stage, bool accumulate,
                                          mma::FragD (&acc)[kPositionsPerGroup][1][Cfg::kTTiles]) {
  using Storage = typename Cfg::MainLoopStorage;
  constexpr unsigned kUStage = sizeof(Storage::u[0]), kUPlane = sizeof(Storage::u[0][0]);
  constexpr unsigned kUPosition = sizeof(Storage::u[0][0][0]);
  constexpr unsigned kVStage = sizeof(typename Cfg::VBuffer), kVPlane = sizeof(Storage::v[0][0]);
  constexpr unsigned kVPosition = sizeof(Storage::v[0][0][0]);
  // The stages' descriptors first, then constant advances: advancing each product's by (stage offset + q · position)
  // had the compiler shift every sum apart (with the callers' signed stage arithmetic, ~40 uniform instructions a
  // group of four products; F(2,3) 2.9 % slower in geomean, bench/NOTES.md v32).
  const auto u_stage_operand = mma::descriptor_advance(operands.u, u_stage * kUStage);
  const auto v_stage_operand = mma::descriptor_advance(operands.v, v_stage * kVStage);
  mma::warpgroup_fence();
#pragma unroll
  for (int q = 0; q < kPositionsPerGroup; ++q) {
    const auto u_hi = mma::descriptor_advance(u_stage_operand, q * kUPosition);
    const auto v_hi = mma::descriptor_advance(v_stage_operand, q * kVPosition);
    mma::warpgroup_mma<Cfg::kBlockTiles>(acc[q][0], u_hi, v_hi, accumulate);
    if constexpr (Cfg::kCompensated) {
      mma::warpgroup_mma<Cfg::kBlockTiles>(acc[q][0], u_hi, mma::descriptor_advance(v_hi, kVPlane), true);
      mma::warpgroup_mma<Cfg::kBlockTiles>(acc[q][0], mma::descriptor_advance(u_hi, kUPlane), v_hi, true);
    }
  }
  mma::warpgroup_commit();  // the caller waits before V is overwritten
}
#endif  // NOVA_MMA_WGMMA

// Output channels a thread of the epilogue takes at once: 4 for F(2,3), whose α·m values of 4 channels a thread holds
// in registers, read by 16-byte shared loads and stored 8 bytes a pixel (one value a thread and 2-byte stores took
// a quarter of a batch-1 layer's time, bench/NOTES.md v27); 1 for the larger tiles.
template <class Cfg>
inline constexpr int kEpilogueChannels = Cfg::kM == 2 ? 4 : 1;

// The bias of channels [k, k + kChannels) (0 past K or without bias), read once for all the outputs of a tile that take
// it: the compiler cannot reuse one read across the output stores, which may alias it.
template <int kChannels>
__device__ inline void load_bias(const Params& p, int k, float (&bias)[kChannels]) {
#pragma unroll
  for (int v = 0; v < kChannels; ++v) bias[v] = p.bias && k + v < p.k ? __half2float(p.bias[k + v]) : 0.0f;
}

// Bias, ReLU and the fp16 stores of output (i, j) of a tile for channels [k, k + kChannels) below K, if it lies inside
// the image.
template <int kChannels>
__device__ inline void store_outputs(const Params& p, const TileInfo& ti, int k, int i, int j,
                                     const float (&value)[kChannels], const float (&bias)[kChannels]) {
  if (i >= ti.out_rows || j >= ti.out_cols) return;
  __half out[kChannels];
#pragma unroll
  for (int v = 0; v < kChannels; ++v) {
    float x = value[v];
    if (p.bias) x += bias[v];
    if (p.relu) x = x < 0.0f ? 0.0f : x;  // keeps NaN, as max(0, NaN) would not
    out[v] = __float2half_rn(x);
  }
  __half* y = p.y + ti.output_offset + (static_cast<int64_t>(i) * p.out_w + j) * p.k + k;
  if constexpr (kChannels == 4) {
    if (p.vector_output && k + 4 <= p.k) {
      *reinterpret_cast<uint2*>(y) = *reinterpret_cast<const uint2*>(out);
      return;
    }
  }
#pragma unroll
  for (int v = 0; v < kChannels; ++v)
    if (k + v < p.k) y[v] = out[v];
}

// Reads or writes kChannels consecutive floats (16-byte aligned when 4) of the epilogue storage.
template <int kChannels>
__device__ inline void load_channels(const float* from, float (&to)[kChannels]) {
  if constexpr (kChannels == 4) {
    const float4 v = *reinterpret_cast<const float4*>(from);
    to[0] = v.x, to[1] = v.y, to[2] = v.z, to[3] = v.w;
  } else {
#pragma unroll
    for (int v = 0; v < kChannels; ++v) to[v] = from[v];
  }
}

template <int kChannels>
__device__ inline void store_channels(const float (&from)[kChannels], float* to) {
  if constexpr (kChannels == 4)
    *reinterpret_cast<float4*>(to) = make_float4(from[0], from[1], from[2], from[3]);
  else
#pragma unroll
    for (int v = 0; v < kChannels; ++v) to[v] = from[v];
}

// Calls store(t_local, k_local, ti, k, y) with y[i][j][v] = (Aᵀ M A)(i, j) of channel k + v for every tile of the
// block inside the output and every run of kEpilogueChannels<Cfg> channels that starts below K.
// kRightApplied: the storage holds T = M A (α × m values of a (tile, k): T(r, j) at m[r·m + j]) instead of M.
template <class Cfg, bool kRightApplied, class Store>
__device__ inline void transform_block_outputs(const Params& p, const typename Cfg::EpilogueStorage& s,
                                               const TileInfo* info, int k0, Store&& store) {
  constexpr int kA = Cfg::kAlpha, kM = Cfg::kM, kChannels = kEpilogueChannels<Cfg>;
  constexpr int kRuns = Cfg::kBlockK / kChannels;  // channel runs of a tile
  static_assert(Cfg::kBlockK % kChannels == 0 && Cfg::kMLd % kChannels == 0, "runs are aligned in the storage");
  for (int item = threadIdx.x; item < Cfg::kBlockTiles * kRuns; item += Cfg::kThreads) {
    const int k_local = item % kRuns * kChannels, t_local = item / kRuns;
    const TileInfo& ti = info[t_local];
    const int k = k0 + k_local;
    if (ti.out_rows <= 0 || k >= p.k) continue;
    constexpr int kCols = kRightApplied ? kM : kA;  // T = M A, or M
    float stored[kA][kCols][kChannels];
#pragma unroll
    for (int i = 0; i < kA; ++i)
#pragma unroll
      for (int j = 0; j < kCols; ++j) load_channels(&s.m[i * kCols + j][t_local][k_local], stored[i][j]);
    float y[kM][kM][kChannels];
#pragma unroll
    for (int v = 0; v < kChannels; ++v) {
      float one[kA][kCols], y_one[kM][kM];
#pragma unroll
      for (int i = 0; i < kA; ++i)
#pragma unroll
        for (int j = 0; j < kCols; ++j) one[i][j] = stored[i][j][v];
      if constexpr (kRightApplied)
        transform_output_left<kM>(one, y_one);
      else
        transform_output<kM>(one, y_one);
#pragma unroll
      for (int i = 0; i < kM; ++i)
#pragma unroll
        for (int j = 0; j < kM; ++j) y[i][j][v] = y_one[i][j];
    }
    store(t_local, k_local, ti, k, y);
  }
}

#if defined(NOVA_ARCH_NV_HOPPER)
// Channel split: every block of the cluster has left its partial Y(i, j) of (tile, k) in m[i·m + j][tile][k];
// this block sums its share of the tiles over the cluster and stores them. All blocks' values of a run are loaded
// before they are summed (in rank order, as one at a time did), so their distributed shared-memory latencies overlap.
template <class Cfg>
__device__ inline void reduce_cluster_and_store(const Params& p, const typename Cfg::EpilogueStorage& s,
                                                const TileInfo* info, int k0, int rank, int split) {
  constexpr int kOutputs = Cfg::kM * Cfg::kM, kChannels = kEpilogueChannels<Cfg>;
  constexpr int kRuns = Cfg::kBlockK / kChannels;
  const int first_tile = Cfg::kBlockTiles * rank / split, tiles = Cfg::kBlockTiles * (rank + 1) / split - first_tile;
  for (int e = threadIdx.x; e < tiles * kOutputs * kRuns; e += Cfg::kThreads) {
    const int k_local = e % kRuns * kChannels, rest = e / kRuns;
    const int output = rest % kOutputs, t_local = first_tile + rest / kOutputs;
    const TileInfo& ti = info[t_local];
    const int k = k0 + k_local;
    if (ti.out_rows <= 0 || k >= p.k) continue;
    const float* local = &s.m[output][t_local][k_local];
    float part[kMaxChannelSplit][kChannels];
#pragma unroll
    for (int r = 0; r < kMaxChannelSplit; ++r)
      if (r < split) load_channels(cluster::map_rank(local, r), part[r]);
    float sum[kChannels] = {};
#pragma unroll
    for (int r = 0; r < kMaxChannelSplit; ++r)
      if (r < split)
#pragma unroll
        for (int v = 0; v < kChannels; ++v) sum[v] += part[r][v];
    float bias[kChannels];
    load_bias(p, k, bias);
    store_outputs(p, ti, k, output / Cfg::kM, output % Cfg::kM, sum, bias);
  }
}
#endif  // NOVA_ARCH_NV_HOPPER

// kStaged: input tiles through shared memory (needs Cfg::kStageInput and Params::vector_input).
// kMixedRows: the grid may have unsplit rows (block_tile_index).
// kPersistent: a grid of one x row, at most as many blocks as run at once, whose block b takes the work items (tile
// block, k block) b, b + gridDim.x, … in the order of the other grids' blocks (tile blocks first); unsplit, sm_90a's
// tensor-copy path only. While it runs a tile's epilogue the next tile's first copies land.
// input_map: the input as a tensor (C, W, H, N) for Cfg::kRegionTensorCopies (launch.hip encodes it), else unused.
template <class Cfg, bool kStaged, bool kMixedRows, bool kPersistent = false>
__global__ void __launch_bounds__(Cfg::kThreads, Cfg::kBlocksPerSm)
    wino_fused_fp16_nhwc(Params p, const NOVA_GRID_CONSTANT TensorMap input_map) {
  static_assert(!kStaged || Cfg::kStageInput, "staging needs its shared memory");
  static_assert(!kPersistent || (kStaged && Cfg::kRegionTensorCopies && !kMixedRows), "persistent blocks copy ahead");
  extern __shared__ __align__(256) unsigned char shared_bytes[];  // one symbol for every kernel of the file
  __shared__ TileInfo info[Cfg::kBlockTiles];
  auto& shared = *reinterpret_cast<typename Cfg::SharedStorage*>(shared_bytes);
  auto& main_loop = shared.main_loop;
  using KernelTag = FusedKernelTag<Cfg, kStaged, kMixedRows, kPersistent>;
  const int64_t work_items = kPersistent ? p.tile_blocks * ((p.k + Cfg::kBlockK - 1) / Cfg::kBlockK) : 1;
  int64_t work = kPersistent ? blockIdx.x : 0;
  int64_t tile_block = kPersistent ? work % p.tile_blocks : block_tile_index<kMixedRows>(p);
  if (kMixedRows && tile_block >= p.tile_blocks) return;  // a spare block of an unsplit row (launch.hip)
  int k0 = static_cast<int>(kPersistent ? work / p.tile_blocks : blockIdx.y) * Cfg::kBlockK;
  const int warp = static_cast<int>(threadIdx.x) / kWarpSize;

  // Launched overlapping the stream's previous kernel (launch.hip): nothing before dependent_launch::wait() below
  // reads device memory that a previous kernel may write (x, U, bias) or writes any.
  compute_tile_info<Cfg>(p, tile_block, info);
  InputRegion region = block_input_region<Cfg>(p, tile_block);
  [[maybe_unused]] constexpr bool kFilterBulk = kSm90aPass && Cfg::kFilterBulkCopies;
  [[maybe_unused]] constexpr bool kRegionTensor = kSm90aPass && kStaged && Cfg::kRegionTensorCopies;
  if constexpr (kPersistent && !kRegionTensor) NOVA_DEVICE_TRAP();  // launched only where this path exists
#if defined(NOVA_MMA_WGMMA)
  if (threadIdx.x == 0) {
    if constexpr (kFilterBulk)
      for (auto& barrier : copy_barriers<Cfg, KernelTag>().filter) mma::copy_barrier_init(&barrier);
    if constexpr (kRegionTensor)
      for (auto& barrier : copy_barriers<Cfg, KernelTag>().region) mma::copy_barrier_init(&barrier);
  }
#endif  // NOVA_MMA_WGMMA
  // Accumulators: warp w owns positions [w·kAccPositions, …) for all of the block's output channels, or with
  // warpgroup products warpgroup w / 4 owns positions [(w / 4)·kAccPositions, …) and warp w the output channels
  // [16·(w % 4), +16).
  constexpr bool kWarpgroup = kSm90aPass && Cfg::kWarpgroupShape;
  constexpr int kAccPositions = kWarpgroup ? Cfg::kPositions / (Cfg::kWarps / 4) : Cfg::kPositionsPerWarp;
  constexpr int kAccKTiles = kWarpgroup ? 1 : Cfg::kKTiles;
  // Warpgroup products start from their first product (every block has at least one channel step), so no other
  // instruction writes their accumulators and they stay in flight across steps.
  mma::FragD acc[kAccPositions][kAccKTiles][Cfg::kTTiles];
  if constexpr (!kWarpgroup)
#pragma unroll
    for (int q = 0; q < kAccPositions; ++q)
#pragma unroll
      for (int kt = 0; kt < kAccKTiles; ++kt)
#pragma unroll
        for (int tt = 0; tt < Cfg::kTTiles; ++tt) mma::zero(acc[q][kt][tt]);
  // The step's products. Warpgroup products stay in flight while the next step's V is computed into another
  // buffer (and, with three or four U buffers, the step after next's U copied); waiting for all but the newest group
  // frees the buffers the next step writes.
#if defined(NOVA_MMA_WGMMA)
  WarpgroupOperands operands{};
  if constexpr (kWarpgroup) operands = warpgroup_operands<Cfg, kAccPositions>(main_loop, warp);
#endif  // NOVA_MMA_WGMMA
  const auto multiply_step = [&](int v_stage, int stage, bool first) {
    if constexpr (kWarpgroup) {
#if defined(NOVA_MMA_WGMMA)
      multiply_warpgroup<Cfg>(operands, stage, v_stage, !first, acc);
      // The products read this step's U: with fewer than 3 buffers the next step's copy overwrites it.
      if constexpr (Cfg::kFilterStages >= 3)
        mma::warpgroup_wait<1>();
      else
        mma::warpgroup_wait<0>();
#endif  // NOVA_MMA_WGMMA
    } else {
      (void)first;
      multiply<Cfg>(main_loop, main_loop.v[v_stage], stage, warp, acc);
    }
  };
  // With warpgroup products V and U are read through the async proxy: each thread publishes what it wrote (V) or
  // copied (U, the step's copy group having landed) before the barrier.
  const auto publish_operands = [] {
#if defined(NOVA_MMA_WGMMA)
    if constexpr (kWarpgroup) mma::warpgroup_publish_shared();
#endif  // NOVA_MMA_WGMMA
  };
  __syncthreads();
  // This warp's 16-row block of Bᵀ ⊗ Bᵀ, one A fragment per 16-pixel chunk, for the matrix-unit input transform.
  mma::FragA input_transform[Cfg::kInputBlocks];
  if constexpr (kStaged && Cfg::kInputOnMatrixUnits)
#pragma unroll
    for (int chunk = 0; chunk < Cfg::kInputBlocks; ++chunk)
      mma::fill_a(input_transform[chunk], [&](int m, int k) {
        return kInputKron<Cfg::kM>.v[16 * (warp % Cfg::kInputBlocks) + m][16 * chunk + k];
      });

  // This block's channel steps: all of them, or its rank's share of a cluster's. Buffers cycle with the iteration i,
  // not the step, so every rank starts on buffer 0.
  const int steps = (p.c + kChannelStep - 1) / kChannelStep;
  const int first_step = steps * block_rank<kMixedRows>(p) / block_split<kMixedRows>(p),
            block_steps = steps * (block_rank<kMixedRows>(p) + 1) / block_split<kMixedRows>(p) - first_step;
  const auto channel_of = [&](int i) { return (first_step + i) * kChannelStep; };  // first channel of iteration i
  // U of the first steps (the tensor-copy path's first round, else step 0) copied before the wait where the caller says
  // the previous kernel does not write it (Params::filter_settled), so that copy overlaps that kernel's end; else after
  // the wait. Rounds exist only on that path: a Cfg with rounds runs the other paths a step at a time (other passes).
  int early_filter_steps = 0;
  if (p.filter_settled && (kFilterBulk || Cfg::kFilterStages >= 2))
    early_filter_steps = min(kRegionTensor ? Cfg::kRoundSteps : 1, block_steps);
#if defined(NOVA_MMA_WGMMA)
  if constexpr (kFilterBulk)
    if (threadIdx.x == 0)
      for (int i = 0; i < early_filter_steps; ++i)
        copy_filter_step<Cfg, KernelTag>(p, main_loop, i % Cfg::kFilterStages, k0, channel_of(i));
#endif  // NOVA_MMA_WGMMA
  if constexpr (!kFilterBulk && Cfg::kFilterStages >= 2)
    if (early_filter_steps > 0) load_filter_step<Cfg>(p, main_loop, 0, k0, channel_of(0));  // joins step 0's group
  dependent_launch::wait();
#if defined(NOVA_MMA_WGMMA)
  // The tensor-copy path's copies of one round of a tile's steps (regions of `tile`, U of output channels [k, k + 64)),
  // into the buffers of the block's steps g + i: a persistent block's buffers and their barriers' phases run on over
  // its tiles (g: the steps of its earlier tiles).
  [[maybe_unused]] const auto copy_regions = [&](int g, const InputRegion& tile, int round) {
    if constexpr (kRegionTensor) {  // braced: nvcc 13 misparses the function's end without them
      for (int i = round * Cfg::kRoundSteps; i < (round + 1) * Cfg::kRoundSteps && i < block_steps; ++i) {
        const int stage = (g + i) % Cfg::kRawStages;
        mma::tensor_copy_4d(main_loop.raw[stage], &input_map, channel_of(i), tile.col0, tile.row0, tile.image,
                            Cfg::kRawStageBytes, &copy_barriers<Cfg, KernelTag>().region[stage]);
      }
    }
  };
  [[maybe_unused]] const auto copy_filters = [&](int g, int k, int round) {
    if constexpr (kRegionTensor) {
      for (int i = round * Cfg::kRoundSteps; i < (round + 1) * Cfg::kRoundSteps && i < block_steps; ++i)
        copy_filter_step<Cfg, KernelTag>(p, main_loop, (g + i) % Cfg::kFilterStages, k, channel_of(i));
    }
  };
#endif  // NOVA_MMA_WGMMA
  for (int g = 0;; g += block_steps) {  // one tile, or a persistent block's tiles one after another
#if defined(NOVA_MMA_WGMMA)
    if constexpr (kRegionTensor) {
      // Rounds of Cfg::kRoundSteps steps. Every copy is one thread's bulk or tensor copy counted on its buffer's
      // barrier: the regions of round r + 2 and U of round r + 1 are issued after round r's block barrier, into the
      // buffers of rounds r and r − 1, which no transform (barrier) and no product (each warpgroup waited for its
      // products of round r − 1 before the barrier) still reads. A round: its steps' input transforms, one barrier,
      // their products, left in flight while the next round transforms.
      static_assert(kWarpgroup && kFilterBulk && Cfg::kRawStages == 2 * Cfg::kRoundSteps, "rounds of bulk copies");
      constexpr int kRoundSteps = Cfg::kRoundSteps;
      auto& barriers = copy_barriers<Cfg, KernelTag>();
      if (threadIdx.x == 0 && g == 0) {  // a persistent block's later tiles had theirs issued before the last epilogue
        copy_regions(g, region, 0);
        copy_regions(g, region, 1);
        if (early_filter_steps == 0) copy_filters(g, k0, 0);
      }
      for (int first = 0, round = 0; first < block_steps; first += kRoundSteps, ++round) {
#pragma unroll
        for (int j = 0; j < kRoundSteps; ++j) {
          const int i = first + j;
          if (j > 0 && i >= block_steps) break;
          const unsigned step = g + i, v_stage = i;  // unsigned: stages and phases by masks and shifts
          mma::copy_barrier_wait(&barriers.region[step % Cfg::kRawStages], (step / Cfg::kRawStages) & 1);
          transform_input_step<Cfg, true>(p, info, main_loop, main_loop.v[v_stage % Cfg::kVStages],
                                          step % Cfg::kRawStages, channel_of(i), warp, input_transform);
        }
        mma::warpgroup_wait<0>();  // the previous round's products, which read the buffers the next copies fill
        publish_operands();
        __syncthreads();
        if (threadIdx.x == 0) {
          copy_filters(g, k0, round + 1);
          copy_regions(g, region, round + 2);
        }
#pragma unroll
        for (int j = 0; j < kRoundSteps; ++j) {
          const int i = first + j;
          if (j > 0 && i >= block_steps) break;
          const unsigned step = g + i, v_stage = i;
          mma::copy_barrier_wait(&barriers.filter[step % Cfg::kFilterStages], (step / Cfg::kFilterStages) & 1);
          multiply_warpgroup<Cfg>(operands, step % Cfg::kFilterStages, v_stage % Cfg::kVStages, i > 0, acc);
        }
      }
    } else
#endif  // NOVA_MMA_WGMMA
    if constexpr (Cfg::kFilterStages >= 2) {
      // One copy group per step, issued a step ahead: {input tiles, U} of step + 1 while step runs (U by one thread's
      // bulk copy instead, waited for on its buffer's barrier before the products).
      // Waits until iteration i's input and (unless bulk-copied) U have landed and are visible to the block.
      const auto wait_input = [] {
        mma::copy_async_wait<1>();
        __syncthreads();
      };
      const auto load_filter = [&](int i) {
        if (i < early_filter_steps) return;  // copied before the wait
#if defined(NOVA_MMA_WGMMA)
        if constexpr (kFilterBulk) {
          if (threadIdx.x == 0)
            copy_filter_step<Cfg, KernelTag>(p, main_loop, i % Cfg::kFilterStages, k0, channel_of(i));
          return;
        }
#endif  // NOVA_MMA_WGMMA
        load_filter_step<Cfg>(p, main_loop, i % Cfg::kFilterStages, k0, channel_of(i));
      };
      // Waits for U of iteration i where a bulk copy brings it: the barrier's phase is how often this block filled
      // that buffer before, mod 2.
      const auto wait_filter = [&](int i) {
#if defined(NOVA_MMA_WGMMA)
        if constexpr (kFilterBulk)
          mma::copy_barrier_wait(&copy_barriers<Cfg, KernelTag>().filter[i % Cfg::kFilterStages],
                                 (i / Cfg::kFilterStages) & 1);
#endif  // NOVA_MMA_WGMMA
        (void)i;
      };
      // The barrier that ends a step keeps its next step from overwriting buffers that another warpgroup's products of
      // the previous step may still read. Warpgroup products over three or more V and four U buffers need none: the
      // buffers the next step writes were last read by products two steps back, which every warpgroup waited for
      // before this step's second barrier (bench/NOTES.md v17: F(2,3) batch 32 −6 to −8 %).
      constexpr bool kStepBarrier = !(kWarpgroup && Cfg::kVStages >= 3 && Cfg::kFilterStages == 4);
      if (block_steps > 0) {
        if constexpr (kStaged) load_input_async<Cfg>(p, info, region, main_loop.raw[0], channel_of(0));
        load_filter(0);
      }
      mma::copy_async_commit();
      for (int i = 0; i < block_steps; ++i) {
        if (i + 1 < block_steps) {
          if constexpr (kStaged)
            load_input_async<Cfg>(p, info, region, main_loop.raw[(i + 1) % Cfg::kRawStages], channel_of(i + 1));
          load_filter(i + 1);
        }
        mma::copy_async_commit();
        wait_input();
        auto& v = main_loop.v[i % Cfg::kVStages];
        transform_input_step<Cfg, kStaged>(p, info, main_loop, v, i % Cfg::kRawStages, channel_of(i), warp,
                                           input_transform);
        publish_operands();
        __syncthreads();
        wait_filter(i);
        multiply_step(i % Cfg::kVStages, i % Cfg::kFilterStages, i == 0);
        if constexpr (kStepBarrier) __syncthreads();
      }
    } else {
      // Copy groups in flight, oldest first: input(step), then per step U(step), input(step + 1).
      if constexpr (kStaged)
        if (block_steps > 0) load_input_async<Cfg>(p, info, region, main_loop.raw[0], channel_of(0));
      mma::copy_async_commit();
      for (int i = 0; i < block_steps; ++i) {
        const int c0 = channel_of(i);
        load_filter_step<Cfg>(p, main_loop, 0, k0, c0);
        mma::copy_async_commit();
        if constexpr (kStaged)
          if (i + 1 < block_steps)
            load_input_async<Cfg>(p, info, region, main_loop.raw[(i + 1) % Cfg::kRawStages], channel_of(i + 1));
        mma::copy_async_commit();
        mma::copy_async_wait<2>();  // this step's input tiles have landed
        __syncthreads();
        auto& v = main_loop.v[i % Cfg::kVStages];
        transform_input_step<Cfg, kStaged>(p, info, main_loop, v, i % Cfg::kRawStages, c0, warp, input_transform);
        mma::copy_async_wait<1>();  // this step's U has landed
        publish_operands();
        __syncthreads();
        multiply_step(i % Cfg::kVStages, 0, i == 0);
        __syncthreads();
      }
    }
    mma::copy_async_wait<0>();
#if defined(NOVA_MMA_WGMMA)
    if constexpr (kWarpgroup) {
      mma::warpgroup_wait<0>();
      __syncthreads();  // the other warpgroup's last products may still read V, which the epilogue storage overlays
    }
#endif  // NOVA_MMA_WGMMA
    // A persistent block's next tile: its first round of U and two rounds of regions, into buffers no product or
    // transform reads any more and the epilogue storage does not overlay (Cfg::kEpilogueRoom).
    const int64_t next_work = work + (kPersistent ? gridDim.x : 0);
    const bool last_tile = !kPersistent || next_work >= work_items;
#if defined(NOVA_MMA_WGMMA)
    if constexpr (kPersistent && kRegionTensor)
      if (!last_tile && threadIdx.x == 0) {
        const InputRegion next_region = block_input_region<Cfg>(p, next_work % p.tile_blocks);
        copy_regions(g + block_steps, next_region, 0);
        copy_regions(g + block_steps, next_region, 1);
        copy_filters(g + block_steps, static_cast<int>(next_work / p.tile_blocks) * Cfg::kBlockK, 0);
      }
#endif  // NOVA_MMA_WGMMA

    // The next kernel's blocks may start once every block of this one is past its (last) main loop: released earlier,
    // they sat beside this kernel's blocks where two fit an SM and slowed them (bench/NOTES.md v23).
    if (last_tile) dependent_launch::release();

    // Where a warpgroup's positions are one row r of the α × α (F(2,3)'s 16 warps: ξ = 4r + q), its threads hold
    // the same (k, tile) elements of the whole row and apply the output transform's right half, T(r, j) =
    // Σ_q M(r, q) A(q, j), in registers: the epilogue storage then takes α·m values of a (tile, k) instead of α².
    constexpr bool kRightInRegisters = kWarpgroup && kAccPositions == Cfg::kAlpha;
    static_assert(!kPersistent || !kRegionTensor || kRightInRegisters, "the epilogue storage ends before U");
    if constexpr (kRightInRegisters) {
#pragma unroll
      for (int tt = 0; tt < Cfg::kTTiles; ++tt)
#pragma unroll
        for (int j = 0; j < Cfg::kM; ++j) {
          mma::FragD t;
          mma::zero(t);
#pragma unroll
          for (int q = 0; q < kAccPositions; ++q)
            if (F3<Cfg::kM>::at(j, q) != 0.0f) mma::add_scaled(t, F3<Cfg::kM>::at(j, q), acc[q][0][tt]);
          mma::store_d(t, &shared.epilogue.m[(warp / 4) * Cfg::kM + j][16 * tt][16 * (warp % 4)], 1, Cfg::kMLd);
        }
    } else {
#pragma unroll
      for (int q = 0; q < kAccPositions; ++q)
#pragma unroll
        for (int kt = 0; kt < kAccKTiles; ++kt)
#pragma unroll
          for (int tt = 0; tt < Cfg::kTTiles; ++tt) {
            const int position = (kWarpgroup ? warp / 4 : warp) * kAccPositions + q;
            const int k_tile = kWarpgroup ? warp % 4 : kt;
            mma::store_d(acc[q][kt][tt], &shared.epilogue.m[position][16 * tt][16 * k_tile], 1, Cfg::kMLd);
          }
    }
    __syncthreads();
    if (block_split<kMixedRows>(p) == 1) {
      transform_block_outputs<Cfg, kRightInRegisters>(
          p, shared.epilogue, info, k0,
          [&](int, int, const TileInfo& ti, int k, const float (&y)[Cfg::kM][Cfg::kM][kEpilogueChannels<Cfg>]) {
            float bias[kEpilogueChannels<Cfg>];
            load_bias(p, k, bias);
#pragma unroll
            for (int i = 0; i < Cfg::kM; ++i)
#pragma unroll
              for (int j = 0; j < Cfg::kM; ++j) store_outputs(p, ti, k, i, j, y[i][j], bias);
          });
      if (last_tile) return;
      __syncthreads();  // the next tile's transforms write V, over the epilogue storage, and its tile infos
      work = next_work;
      tile_block = work % p.tile_blocks;
      k0 = static_cast<int>(work / p.tile_blocks) * Cfg::kBlockK;
      region = block_input_region<Cfg>(p, tile_block);
      compute_tile_info<Cfg>(p, tile_block, info);  // visible to the epilogue after the main loop's barriers
      continue;
    }
#if defined(NOVA_ARCH_NV_HOPPER)
    // Each thread reads all stored values of its (tile, k) before writing the m² partial outputs over the first of
    // them, so the in-place write needs no barrier.
    auto& epilogue = shared.epilogue;
    transform_block_outputs<Cfg, kRightInRegisters>(
        p, epilogue, info, k0,
        [&](int t_local, int k_local, const TileInfo&, int,
            const float (&y)[Cfg::kM][Cfg::kM][kEpilogueChannels<Cfg>]) {
#pragma unroll
          for (int i = 0; i < Cfg::kM; ++i)
#pragma unroll
            for (int j = 0; j < Cfg::kM; ++j) store_channels(y[i][j], &epilogue.m[i * Cfg::kM + j][t_local][k_local]);
        });
    cluster::sync();  // every block's partial outputs are in its shared memory
    reduce_cluster_and_store<Cfg>(p, epilogue, info, k0, block_rank<kMixedRows>(p), block_split<kMixedRows>(p));
    // No block leaves while another still reads its shared memory. Relaxed: a full barrier would first wait for this
    // block's output stores to complete (bench/NOTES.md v29: 0.3–0.4 µs of a split batch-1 layer's 5–7).
    cluster::sync_relaxed();
#else   // !NOVA_ARCH_NV_HOPPER: the launcher never splits here
    NOVA_DEVICE_TRAP();
#endif  // NOVA_ARCH_NV_HOPPER
    return;
  }
}

// U = G g Gᵀ for every (k < k_pad, c < c_pad) from a KRSC fp16 filter; channels ≥ c and rows ≥ k_total are zero.
// Threads run over (channel group of 8, k, channel in group) so the stores follow u_index's layout.
template <int M, bool kCompensated>
__global__ void wino_transform_filter_fp16(const __half* filter, __half* u, int k_total, int k_pad, int c, int c_pad,
                                           int64_t u_plane) {
  constexpr int kA = M + 2;
  const int64_t total = static_cast<int64_t>(k_pad) * c_pad;
  for (int64_t index = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; index < total;
       index += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int in_group = static_cast<int>(index % 8);
    const int k = static_cast<int>((index / 8) % k_pad);
    const int channel = static_cast<int>(index / (8 * static_cast<int64_t>(k_pad))) * 8 + in_group;
    float g[3][3];
#pragma unroll
    for (int r = 0; r < 3; ++r)
#pragma unroll
      for (int s = 0; s < 3; ++s)
        g[r][s] = channel < c && k < k_total
                      ? __half2float(filter[(static_cast<int64_t>(k) * 9 + r * 3 + s) * c + channel])
                      : 0.0f;
    float uf[kA][kA];
    transform_filter<M>(g, uf);
#pragma unroll
    for (int i = 0; i < kA; ++i)
#pragma unroll
      for (int j = 0; j < kA; ++j) {
        const int64_t at = u_index<M>(i * kA + j, k, channel, k_total);
        const __half hi = __float2half_rn(uf[i][j]);
        u[at] = hi;
        if constexpr (kCompensated) u[u_plane + at] = __float2half_rn(uf[i][j] - __half2float(hi));
      }
  }
}

}  // namespace nova::wino
