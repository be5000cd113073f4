// Host entry points of the fused Winograd F(m,3) convolution: plain C++, no kernel code. Every function only
// enqueues work on `stream` and returns the runtime's status; none synchronizes, throws or aborts.
//
// Use: check wino_can_implement, allocate wino_filter_bytes for the prepared filter, run wino_prepare_filter
// once per weight, then wino_conv2d_fp16_nhwc for every input.
#pragma once

#include <cstddef>
#include <string>

#include "../direct/launch.hpp"

namespace nova {

// nullptr when the fused F(m,3) kernel (compensated or not) can run the shape on the calling thread's current
// device, else why not (m not built, not 3×3, stride or dilation ≠ 1, padding > 2, a tile that does not fit the
// build's or the device's shared memory, …). m ∈ {2, 4, 6}; m = 8 is refused with the measured reason. The
// returned text lives until the thread's next call.
const char* wino_can_implement(const ConvShape& shape, int m, bool compensated = false);

// The tile size our kernels run fastest for this shape (a measured rule, see bench/NOTES.md); the caller still
// checks wino_can_implement and may prefer another m for accuracy.
int wino_preferred_m(const ConvShape& shape);

// Bytes of the prepared filter U = G g Gᵀ for (k, c, m, compensated): α²·K·C fp16 values (C rounded up to 16, and
// for F(2,3) K to 64: the kernel's blocking), twice that when compensated (fp16 hi + fp16 lo). The layout of U is
// private to the kernel. (Kernels that read the raw 3×3 weights and transformed them per block were slower on every
// measured layer and were removed; bench/NOTES.md v7, v10.)
size_t wino_filter_bytes(const ConvShape& shape, int m, bool compensated);

// The prepared filter from the raw KRSC fp16 filter: U computed in fp32 and stored fp16 (hi/lo when compensated).
// out must hold wino_filter_bytes(shape, m, compensated) bytes; it depends only on k, c, m and compensated.
hipError_t wino_prepare_filter(const void* filter_krsc_fp16, void* out, const ConvShape& shape, int m, bool compensated,
                               hipStream_t stream);

// Whether the kernel enqueued on the stream just before a fused launch may write its prepared filter (kMayBeInFlight:
// wino_prepare_filter right before it, or unknown), or not (kSettled: e.g. a filter prepared by an earlier call that
// synchronized). Where the launch overlaps that kernel (sm_90a), a settled filter's first copies start before it ends.
enum class WinoFilterState { kMayBeInFlight, kSettled };

// Fused forward: y = act(bias + Aᵀ[Σ_c U ⊙ BᵀdB]A) in one launch. x, y NHWC fp16 (16-byte aligned for the fast
// paths); filter from wino_prepare_filter with the same (shape.k, shape.c, m, compensated); bias K fp16 or null.
// Returns hipErrorInvalidValue if wino_can_implement fails.
hipError_t wino_conv2d_fp16_nhwc(const void* x, const void* filter, const void* bias_fp16_or_null, void* y,
                                 const ConvShape& shape, int m, bool relu, bool compensated, hipStream_t stream,
                                 WinoFilterState filter_state = WinoFilterState::kMayBeInFlight);

// For benchmarks and tests, process-wide: every later fused launch uses this channel split (1 to 8 blocks per cluster,
// where the device has clusters and the layer has that many channel steps) on every block tile, or with `mixed` only
// on the second half of the k blocks (clusters of as many blocks take the first half's block tiles whole); any other
// split restores the measured choice.
void wino_force_c_split(int split, bool mixed = false);

// For benchmarks and tests, process-wide: how later F(2,3) launches with staged input take their tiles: 1 always
// consecutive tiles, 2 always rectangles of tiles of one image (their input region staged once), 3 rectangles of two
// images, 4 rectangles of 2 × 16 tiles, 5 blocks of 4 × 4 tiles (3 to 5: sm_90a, where the 64-channel block runs; under
// 4 a batch of images of at most 4 × 4 tiles still goes by the measured rule for 3), any other value the measured
// choice.
void wino_force_tile_order(int order);

// For benchmarks and tests, process-wide: later F(2,3) launches use the block of `channels` output channels (32 or 64,
// where it fits the device); any other value restores the measured choice.
void wino_force_f2_block(int channels);

// For benchmarks, process-wide: when `disabled`, later fused launches no longer overlap the stream's previous kernel
// (programmatic dependent launch, which they use wherever the device runs sm_90a code).
void wino_disable_overlap(bool disabled);

// For benchmarks, process-wide: when `disabled`, later fused launches treat every filter as kMayBeInFlight (its first
// copies wait for the previous kernel).
void wino_disable_early_filter(bool disabled);
// For benchmarks, process-wide: when `disabled`, later fused launches never run as one wave of persistent blocks.
void wino_disable_persistent(bool disabled);

// What the calling thread's last fused launch ran, as the launch rules chose it (for benchmarks and tests: kernel_test's
// split sweep prints it beside the launcher's time; the bench's rows carry it in their path).
struct WinoLaunchInfo {
  int m = 0, block_tiles = 0, block_k = 0;
  int region_rows = 0, region_cols = 0, region_images = 0;  // a block's rectangle of tiles; 0 rows: consecutive tiles
  int c_split = 1, unsplit_rows = 0;  // blocks per cluster sharing a block tile's channels; k-block rows not split
  bool persistent = false;            // one wave of blocks, each taking block tiles in turn
  long long grid_blocks = 0;
};
const WinoLaunchInfo& wino_last_launch();
// In words, e.g. "F2: 32 tiles 4x4 x2 images, k 64, split 1, persistent, 132 blocks".
std::string wino_describe(const WinoLaunchInfo& launch);

// For tests, process-wide: below the device's own limit, the launchers and wino_can_implement act as if a block could
// use only `bytes` of shared memory (A100: 166912, sm_86/89: 101376), so the tile choice for smaller devices can be
// checked on a larger one; 0 restores the device's limit.
void wino_force_shared_limit(int bytes);

}  // namespace nova
