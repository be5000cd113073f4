// Host launchers of the fused Winograd kernels (declared in launch.hpp): argument checks, the tile
// configuration per m, and the launches. Compiled as CUDA by nvcc and as HIP by hipcc.
#include "launch.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "wino_fused.hpp"

namespace nova {
namespace {

using wino::FusedConfig;

// Block tile per m: kBlockK output channels × kBlockTiles tiles, kWarps warps sharing the α² positions.
// Accumulators are α²·kBlockK·kBlockTiles fp32 per block, which bounds the tile (see bench/NOTES.md).
// TileConfig<M, compensated>::kBuilt says whether this build has the kernel.
template <int M, bool kCompensated>
struct TileConfig {
  static constexpr bool kBuilt = false;
};
template <class Cfg>
struct BuiltTile {
  static constexpr bool kBuilt = true;
  using type = Cfg;
};
#if defined(NOVA_WINO_SMALL_SHARED)
// 64 KB of shared memory per block (params.hpp): 16 tiles × 16 or 32 output channels, 4 warps; F(4,3) without
// staged input tiles.
template <> struct TileConfig<2, false> : BuiltTile<FusedConfig<2, 32, 16, 4, false, true, 1>> {};
template <> struct TileConfig<2, true> : BuiltTile<FusedConfig<2, 16, 16, 4, true, false, 1>> {};
template <> struct TileConfig<4, false> : BuiltTile<FusedConfig<4, 16, 16, 4, false, false>> {};
#else   // !NOVA_WINO_SMALL_SHARED: NVIDIA's up to 227 KB per block
// Compensated F6 and F4 have no room left in shared memory for staged input tiles.
// F(2,3): four U buffers (and three V buffers; four of each as two rounds of two steps for rectangles on sm_90a), since
// its warpgroup products read U and V from shared memory while the next step is prepared, and then a step needs no
// closing barrier. 16 warps (4 warpgroups of 4 positions, ~100 registers): 3–12 % faster than 8 at batch 1 and on
// small layers, equal on the large batch-32 ones (H200, bench/NOTES.md v19).
template <> struct TileConfig<2, false> : BuiltTile<FusedConfig<2, 64, 32, 16, false, true, 4>> {};
template <> struct TileConfig<2, true> : BuiltTile<FusedConfig<2, 64, 32, 8, true, true, 1>> {};
template <bool C> struct TileConfig<4, C> : BuiltTile<FusedConfig<4, 32, 32, 12, C, !C>> {};
template <> struct TileConfig<6, false> : BuiltTile<FusedConfig<6, 32, 16, 8, false, true>> {};
template <> struct TileConfig<6, true> : BuiltTile<FusedConfig<6, 16, 16, 8, true, false>> {};
// F(2,3) for grids of fewer than kLargeF2MinBlocks blocks of the tile above, and for K ≤ 32 (where the tile above
// leaves half its output channels empty) on grids of more than one wave of it: half the output channels per block
// and two resident blocks per SM. With 16 warps (v19) and rounds of two steps (v22) the tile above is as fast or
// faster on every other grid timed (H200, forced each way, bench/NOTES.md v5, v12, v18, v19, v26): at batch 1
// ESRGAN 160→32 128² (128 blocks, 10 steps) 9.8 vs 11.7 µs, DenseNet-161 192→48 28² (7 blocks) 6.7 vs 7.9, but 14²
// (2 blocks) 6.1 vs 5.8 and 7² (1 block) 5.9 vs 5.6; the threshold between 2 and 7 blocks was not measured.
using NarrowF2 = FusedConfig<2, 32, 32, 8, false, true, 2, 2>;
constexpr int kLargeF2MinBlocks = 4;
#endif  // NOVA_WINO_SMALL_SHARED

constexpr int kMaxDevices = 64;  // devices whose facts and per-kernel settings are cached

// What the launchers ask of a device, read once per device (runtime queries cost microseconds per call).
struct DeviceFacts {
  int device = 0;
  int sms = 0;
  bool clusters = false;
  int shared_per_block = 0;  // bytes a block may use, opted in (H100/H200 227 KB, A100 163 KB, sm_86/89 99 KB)
  bool sm90a = false;        // compute capability 9.0: the kernels' sm_90a code runs (wgmma, tensor copies, rounds,
                             // launches that overlap the previous kernel)
};

hipError_t device_facts(DeviceFacts* facts) {
  static std::atomic<bool> known[kMaxDevices];
  static DeviceFacts cache[kMaxDevices];
  int device = 0;
  NOVA_HIP_RETURN_IF_ERROR(hipGetDevice(&device));
  if (device < kMaxDevices && known[device].load(std::memory_order_acquire)) {
    *facts = cache[device];
    return hipSuccess;
  }
  DeviceFacts f;
  f.device = device;
  NOVA_HIP_RETURN_IF_ERROR(hipDeviceGetAttribute(&f.sms, hipDeviceAttributeMultiprocessorCount, device));
  f.clusters = cluster_launch_supported(device);
  NOVA_HIP_RETURN_IF_ERROR(hipDeviceGetAttribute(&f.shared_per_block, hipDeviceAttributeMaxSharedMemoryPerBlock, device));
#if defined(NOVA_PLATFORM_NVIDIA)
  int major = 0, minor = 0;
  NOVA_HIP_RETURN_IF_ERROR(hipDeviceGetAttribute(&major, hipDeviceAttributeComputeCapabilityMajor, device));
  NOVA_HIP_RETURN_IF_ERROR(hipDeviceGetAttribute(&minor, hipDeviceAttributeComputeCapabilityMinor, device));
  f.sm90a = major == 9 && minor == 0;
#endif  // NOVA_PLATFORM_NVIDIA
  if (device < kMaxDevices) {
    cache[device] = f;
    known[device].store(true, std::memory_order_release);
  }
  *facts = f;
  return hipSuccess;
}

std::atomic<int> forced_c_split{0};
std::atomic<bool> forced_mixed_split{false};
std::atomic<int> forced_shared_limit{0};

// Shared memory one block of the tile takes (its dynamic storage, the TileInfo array and any copy barriers),
// against what the device allows (or the limit a test forced).
template <class Cfg>
constexpr size_t block_shared_bytes() {
  return Cfg::kSharedBytes + sizeof(wino::TileInfo) * Cfg::kBlockTiles +
         (Cfg::kFilterBulkCopies ? sizeof(wino::CopyBarriers<Cfg>) : 0);  // kRegionTensorCopies implies it
}
int shared_limit(const DeviceFacts& facts) {
  const int forced = forced_shared_limit.load(std::memory_order_relaxed);
  return forced > 0 && forced < facts.shared_per_block ? forced : facts.shared_per_block;
}
template <class Cfg>
bool fits(const DeviceFacts& facts) {
  return block_shared_bytes<Cfg>() <= static_cast<size_t>(shared_limit(facts));
}

// Shared memory per block of the smallest tile dispatch_conv takes for (M, compensated) (0 where this build has
// none; wino::can_implement refuses those): F(2,3) falls back to its 32-channel tile where the large one does not fit.
template <int M, bool kCompensated>
constexpr size_t least_shared_bytes() {
#if !defined(NOVA_WINO_SMALL_SHARED)
  if constexpr (M == 2 && !kCompensated) return block_shared_bytes<NarrowF2>();
#endif  // !NOVA_WINO_SMALL_SHARED
  if constexpr (TileConfig<M, kCompensated>::kBuilt)
    return block_shared_bytes<typename TileConfig<M, kCompensated>::type>();
  else
    return 0;
}

template <class Cfg>
int64_t grid_blocks(const wino::Params& params) {
  return wino::tile_blocks<Cfg>(params) * ((params.k + Cfg::kBlockK - 1) / Cfg::kBlockK);
}

// Raises the kernel's dynamic shared-memory limit, once per kernel and device (a host call worth microseconds).
template <class Cfg, bool kStaged, bool kMixedRows = false, bool kPersistent = false>
hipError_t raise_shared_limit(int device) {
  static std::atomic<bool> raised[kMaxDevices];
  if (device < kMaxDevices && raised[device].load(std::memory_order_acquire)) return hipSuccess;
  NOVA_HIP_RETURN_IF_ERROR(hipFuncSetAttribute(
      reinterpret_cast<const void*>(wino::wino_fused_fp16_nhwc<Cfg, kStaged, kMixedRows, kPersistent>),
                                               hipFuncAttributeMaxDynamicSharedMemorySize,
                                               static_cast<int>(Cfg::kSharedBytes)));
  if (device < kMaxDevices) raised[device].store(true, std::memory_order_release);
  return hipSuccess;
}

// Blocks of the kernel that run at once in clusters of `split` (1: no clusters), asked of the runtime once per
// kernel, device and split: clusters fill fewer SMs than SMs × blocks per SM suggests (a cluster's blocks share one
// GPC; bench/NOTES.md, "The channel-split model counts the clusters the device holds").
template <class Cfg, bool kStaged>
int64_t resident_blocks(int split, const DeviceFacts& facts) {
  const int64_t unclustered = static_cast<int64_t>(facts.sms) * Cfg::kBlocksPerSm;
  if (split == 1) return unclustered;
  static std::atomic<int> clusters[kMaxDevices][wino::kMaxChannelSplit + 1];  // by split; 0 = not asked yet
  int known = facts.device < kMaxDevices ? clusters[facts.device][split].load(std::memory_order_acquire) : 0;
  if (known == 0) {
    known = -1;  // unknown: fall back to the unclustered count
    if (raise_shared_limit<Cfg, kStaged>(facts.device) == hipSuccess) {
      const int asked = max_active_clusters(wino::wino_fused_fp16_nhwc<Cfg, kStaged, false>, dim3(Cfg::kThreads),
                                            Cfg::kSharedBytes, static_cast<unsigned>(split));
      if (asked > 0) known = asked;
    }
    if (facts.device < kMaxDevices) clusters[facts.device][split].store(known, std::memory_order_release);
  }
  return known > 0 ? static_cast<int64_t>(known) * split : unclustered / split * split;
}

// A launch's channel split (blocks per cluster that share a block tile's channel steps, wino_fused.hpp), how many
// rows of k blocks are not split (each block of their clusters taking a whole block tile), and its modelled cost:
// waves × (steps per block + fixed cost), the fixed cost larger when a cluster reduces its partial outputs; the
// constants are step-equivalents, checked against a measured sweep of every split on an H200 (bench/NOTES.md, channel
// split; for F(2,3)'s 64-channel block on 16 warps, whose steps are shorter, v19b's sweep, its reduction cost lowered
// from 6 to 5.5 in v20).
struct LaunchPlan {
  int c_split = 1;
  int unsplit_rows = 0;
  double cost = 0;
};
template <class Cfg>
constexpr bool kSixteenWarpF2 = Cfg::kM == 2 && Cfg::kWarps == 16;
// The 16-tile block (4 × 4 tiles) a quarter step less: half the epilogue; its steps cost as much as the 32-tile
// block's (its U copies do not shrink). Fitted on its measured wins and losses at batch 1 (H200, bench/NOTES.md v36).
template <class Cfg>
constexpr double kFixedSteps = kSixteenWarpF2<Cfg> ? (Cfg::kBlockTiles == 16 ? 3.75 : 4.0) : 2.0;
// NarrowF2's shape spelled out, since the 64 KB build has no NarrowF2 (and no clusters to split over).
template <class Cfg>
constexpr bool kNarrowF2 = Cfg::kM == 2 && Cfg::kBlockK == 32 && Cfg::kWarps == 8 && !Cfg::kCompensated;
// F(2,3)'s 32-channel block (consecutive tiles or rectangles): 6 at split 8 since its launches overlap the previous
// kernel (v23: split 2 took 13.5 µs on ESRGAN 160→32 128² batch 1, split 1 11.4), and 0.05 less for each block fewer,
// only so that of two splits with as many steps a block the smaller wins (v30: split 6 ran 4 % faster than 8 on
// DenseNet-161 14² and 7² batch 1, two steps a block either way; a slope matching that 0.2 µs would make split 2 look
// cheaper than 1 on ESRGAN 160→32, where it runs 1.6× slower). The 16-warp block's grows with the blocks it sums since
// v27 made the rest of its epilogue cheaper: 5.5 at split 4, a quarter step more per block (v28: block stamps on
// ResNet-50 128×28 batch 1 put the reduction of split 8 0.8 µs above that of split 4, whose launch ran 12 % faster).
template <class Cfg>
constexpr double reduce_steps(int split) {
  return kSixteenWarpF2<Cfg> ? 4.5 + 0.25 * split : kNarrowF2<Cfg> ? 5.6 + 0.05 * split : 2.0;
}

// Two answers of plan_launch: `uniform`, the best split of 1, 2, 4 or 8 blocks per cluster on every block tile (what the
// tile order is decided by, launch_fused), and `best`, which also weighs splits of 3, 5, 6 and 7 and grids whose first
// rows of k blocks, as many as whole waves hold, are unsplit and the rest split (their last wave, split, fills the
// device where an unsplit one would leave SMs idle). Powers of two first: a later candidate must cost less (measured
// on an H200, bench/NOTES.md v27: the smallest split first was 2–4 % faster on DenseNet-161 batch 1 but 1.6 % slower
// elsewhere; where the 32-channel block's splits tie, its reduction cost now decides, reduce_steps).
struct SplitPlans {
  LaunchPlan uniform, best;
};

// step_cost: the time of one of this tile's steps in the model's steps (below 1 for a tile whose steps are faster than
// the one the constants were fitted on).
template <class Cfg, bool kStaged>
SplitPlans plan_launch(const wino::Params& params, const DeviceFacts& facts, double step_cost) {
  const int64_t tile_blocks = wino::tile_blocks<Cfg>(params);
  const int k_blocks = (params.k + Cfg::kBlockK - 1) / Cfg::kBlockK;
  const int steps = (params.c + wino::kChannelStep - 1) / wino::kChannelStep;
  const auto plan = [&](int split, int unsplit_rows, int64_t resident) {
    const auto waves_cost = [&](int64_t blocks, int block_steps, bool reduces) {
      return static_cast<double>((blocks + resident - 1) / resident) *
             (block_steps * step_cost + kFixedSteps<Cfg> + (reduces ? reduce_steps<Cfg>(split) : 0.0));
    };
    LaunchPlan plan{split, split == 1 ? k_blocks : unsplit_rows, 0.0};
    if (plan.unsplit_rows > 0) plan.cost += waves_cost(plan.unsplit_rows * tile_blocks, steps, false);
    if (plan.unsplit_rows < k_blocks)
      plan.cost += waves_cost((k_blocks - plan.unsplit_rows) * tile_blocks * split, (steps + split - 1) / split, true);
    return plan;
  };
  const int forced = forced_c_split.load(std::memory_order_relaxed);
  if (!facts.clusters || forced > 0) {
    const int split = facts.clusters && forced <= steps ? forced : 1;
    const LaunchPlan plan_forced = plan(split, forced_mixed_split.load(std::memory_order_relaxed) ? k_blocks / 2 : 0,
                                        resident_blocks<Cfg, kStaged>(split, facts));
    return {plan_forced, plan_forced};
  }
  SplitPlans plans;
  plans.uniform = plans.best = plan(1, k_blocks, resident_blocks<Cfg, kStaged>(1, facts));
  for (const int split : {2, 4, 8, 3, 5, 6, 7}) {
    if (split > steps) continue;
    const int64_t resident = resident_blocks<Cfg, kStaged>(split, facts);
    const LaunchPlan uniform = plan(split, 0, resident);
    if ((split & (split - 1)) == 0 && uniform.cost < plans.uniform.cost) plans.uniform = uniform;
    if (uniform.cost < plans.best.cost) plans.best = uniform;
    const int64_t whole_wave_rows = tile_blocks * k_blocks / resident * resident / tile_blocks;
    if (whole_wave_rows > 0 && whole_wave_rows < k_blocks) {
      const LaunchPlan mixed = plan(split, static_cast<int>(whole_wave_rows), resident);
      if (mixed.cost < plans.best.cost) plans.best = mixed;
    }
  }
  return plans;
}

// F(2,3)'s staged tiles as rectangles of 4 tile rows (wino_fused.hpp, InputRegion): its 4×4-pixel tiles overlap by
// half, so a 4 × 8-tile block stages 180 pixels per channel instead of 512. Measured on an H200 (bench/NOTES.md,
// v15): 5–6 % faster at batch 32 where the rectangles cover the image exactly, 7–15 % at batch 1 even where they
// overhang it, 7–9 % slower at batch 32 where they overhang it (more blocks, ragged ones), 5 % slower compensated.
// So taken where the launch model says they cost no more than consecutive tiles.
template <class Cfg>
constexpr int kRectangleRows =
    Cfg::kM == 2 && Cfg::kStageInput && !Cfg::kCompensated && Cfg::kBlockTiles % 4 == 0 ? 4 : 0;
// A step of rectangles in rounds of two steps (FusedConfig::kRoundSteps, sm_90a only) against a step of consecutive
// tiles, in a grid of two or more waves of the latter, where steps set the pace: fitted on F(2,3) batch 32 forced each
// way on an H200 (bench/NOTES.md v22: VGG-16 256×56 353 vs 485 µs, ResNet-50 64×56 44.7 vs 46.4, 512×7 (one wave)
// 44.6 vs 37.4). On smaller grids the model's fixed costs decide: rectangles forced there took 0–5 % longer at
// batch 1.
constexpr double kRoundRectangleStepCost = 0.6;
template <class Cfg, int kRows, int kImages = 1, int kTiles = Cfg::kBlockTiles>
using RectanglesOf = FusedConfig<Cfg::kM, Cfg::kBlockK, kTiles, Cfg::kWarps, Cfg::kCompensated, Cfg::kStageInput,
                                 Cfg::kFilterStages, Cfg::kBlocksPerSm, kRows, kImages>;
thread_local WinoLaunchInfo last_launch;
std::atomic<int> forced_tile_order{0};
std::atomic<bool> overlap_disabled{false};
std::atomic<bool> early_filter_disabled{false};
std::atomic<int> forced_f2_block{0};
std::atomic<bool> persistent_disabled{false};
// Whether this build's sm_90a code has the tensor-copy path, which persistent blocks need: not with the scalar mma
// fallback forced (a test build, whose kernels run the other paths on every device).
#if defined(NOVA_MMA_FORCE_SCALAR)
constexpr bool kTensorCopyBuild = false;
#else   // !NOVA_MMA_FORCE_SCALAR
constexpr bool kTensorCopyBuild = true;
#endif  // NOVA_MMA_FORCE_SCALAR

// The input as the tensor (C, W, H, N) whose box of 16 channels × kRegionBoxW × kRegionImageH pixels × kRegionImages
// images a tensor copy stages as one region (Cfg::kRegionTensorCopies; C % 8 == 0 and a 16-byte aligned input, as
// vector_input says).
template <class Cfg>
hipError_t encode_input_map(const wino::Params& params, TensorMap* map) {
  const std::uint64_t c = params.c, w = params.w, h = params.h, n = params.n;
  const std::uint64_t dims[4] = {c, w, h, n};
  const std::uint64_t strides[3] = {c * 2, w * c * 2, h * w * c * 2};
  const std::uint32_t box[4] = {wino::kChannelStep, Cfg::kRegionBoxW, Cfg::kRegionImageH, Cfg::kRegionImages};
  return encode_fp16_tensor_map_4d(map, params.x, dims, strides, box);
}

template <class Cfg, bool kStaged>
hipError_t launch_kernel(wino::Params params, const LaunchPlan& plan, const DeviceFacts& facts, hipStream_t stream) {
  params.tile_blocks = wino::tile_blocks<Cfg>(params);
  params.c_split = plan.c_split;
  params.unsplit_rows = plan.unsplit_rows;
  const int k_blocks = (params.k + Cfg::kBlockK - 1) / Cfg::kBlockK;
  // Unsplit rows need only tile_blocks / c_split clusters (rounded up; the spare blocks return at once).
  const int64_t grid_x =
      plan.unsplit_rows < k_blocks ? params.tile_blocks : (params.tile_blocks + plan.c_split - 1) / plan.c_split;
  // The grid's x dimension takes up to 2^31 − 1 blocks: more tiles than that (> 3·10^10) fit no device memory.
  if (grid_x > 0x7fffffff) return hipErrorInvalidValue;
#if defined(NOVA_WINO_SMALL_SHARED)
  static_assert(block_shared_bytes<Cfg>() <= 64 * 1024, "the tile must fit 64 KB of shared memory");
#endif  // NOVA_WINO_SMALL_SHARED
  TensorMap input_map{};
  if constexpr (kStaged && Cfg::kRegionTensorCopies) NOVA_HIP_RETURN_IF_ERROR(encode_input_map<Cfg>(params, &input_map));
  // An unsplit grid of more than one wave on sm_90a's tensor-copy path runs as one wave of persistent blocks, each
  // taking every so many block tiles (wino_fused.hpp, kPersistent): a tile's first copies then land during the
  // previous tile's epilogue (H100, bench/NOTES.md v31: batch 32 −2 to −11 %).
  const int64_t resident = resident_blocks<Cfg, kStaged>(plan.c_split, facts);
  const bool persistent = kStaged && Cfg::kRegionTensorCopies && kTensorCopyBuild && facts.sm90a && plan.c_split == 1 &&
                          grid_x * k_blocks > resident && !persistent_disabled.load(std::memory_order_relaxed);
  const dim3 grid = persistent ? dim3(static_cast<unsigned>(resident))
                               : dim3(static_cast<unsigned>(grid_x), static_cast<unsigned>(k_blocks),
                                      static_cast<unsigned>(params.c_split));
  // A settled filter's first copies go out before the wait only where the whole grid is resident at once: on grids of
  // more than one wave they cost up to 2.7 % (H200, bench/NOTES.md v25).
  params.filter_settled = params.filter_settled && static_cast<int64_t>(grid.x) * grid.y * grid.z <= resident;
  const bool overlap = facts.sm90a && !overlap_disabled.load(std::memory_order_relaxed);
  last_launch = WinoLaunchInfo{Cfg::kM,           Cfg::kBlockTiles,   Cfg::kBlockK,
                               Cfg::kRegionRows,  Cfg::kRegionCols,   Cfg::kRegionImages,
                               plan.c_split,      plan.unsplit_rows,  persistent,
                               static_cast<long long>(grid.x) * grid.y * grid.z};
  const auto launch = [&](auto kernel) {
    return launch_kernel_ex(kernel, grid, dim3(Cfg::kThreads), Cfg::kSharedBytes, stream,
                            static_cast<unsigned>(params.c_split), overlap, params, input_map);
  };
#if defined(NOVA_PLATFORM_NVIDIA)  // the only platform with clusters, so with split rows
  if constexpr (kStaged && Cfg::kRegionTensorCopies)
    if (persistent) {
      NOVA_HIP_RETURN_IF_ERROR((raise_shared_limit<Cfg, kStaged, false, true>(facts.device)));
      return launch(wino::wino_fused_fp16_nhwc<Cfg, kStaged, false, true>);
    }
  if (plan.c_split > 1 && plan.unsplit_rows > 0 && plan.unsplit_rows < k_blocks) {
    NOVA_HIP_RETURN_IF_ERROR((raise_shared_limit<Cfg, kStaged, true>(facts.device)));
    return launch(wino::wino_fused_fp16_nhwc<Cfg, kStaged, true>);
  }
#endif  // NOVA_PLATFORM_NVIDIA
  NOVA_HIP_RETURN_IF_ERROR((raise_shared_limit<Cfg, kStaged>(facts.device)));
  return launch(wino::wino_fused_fp16_nhwc<Cfg, kStaged, false>);
}

template <class Cfg, bool kStaged>
hipError_t plan_and_launch(const wino::Params& params, const DeviceFacts& facts, hipStream_t stream) {
  return launch_kernel<Cfg, kStaged>(params, plan_launch<Cfg, kStaged>(params, facts, 1.0).best, facts, stream);
}

template <class Cfg>
hipError_t launch_fused(const wino::Params& params, const DeviceFacts& facts, hipStream_t stream) {
  if constexpr (Cfg::kStageInput) {
    if (params.vector_input) {
      if constexpr (kRectangleRows<Cfg> > 0) {
        using Rectangles = RectanglesOf<Cfg, kRectangleRows<Cfg>>;
        const bool faster_steps = Rectangles::kRoundSteps > 1 && facts.sm90a &&
                                  grid_blocks<Cfg>(params) >= 2 * static_cast<int64_t>(facts.sms) * Cfg::kBlocksPerSm;
        // The tile order by the uniform splits the rule was measured with (bench/NOTES.md v24: consecutive tiles
        // with a filled last wave, modelled 6 % cheaper than rectangles, ran 40 % slower on ResNet-50 256×14 batch
        // 32), then the chosen order's best split.
        // Every rectangle shape below steps in rounds where the 4 × 8 one does.
        const double rectangle_step_cost = faster_steps ? kRoundRectangleStepCost : 1.0;
        const SplitPlans consecutive = plan_launch<Cfg, true>(params, facts, 1.0);
        const SplitPlans rectangles = plan_launch<Rectangles, true>(params, facts, rectangle_step_cost);
        const int forced = forced_tile_order.load(std::memory_order_relaxed);
        // Images of at most 4 × 4 tiles (ResNet-50's 7², SD1.5's 8²), which a rectangle of one image overhangs by
        // half, two to a block where rectangles have rounds: as many blocks as consecutive tiles, the steps of
        // rectangles. Also on larger images where 4 × 4 squares of two images take fewer blocks than rectangles of
        // one (tile columns 1–4 past a multiple of 8: 28 on ResNet-50 64×56 and VGG-16 256×56, 784 blocks against
        // 896 at batch 32, forced −12 % on an H100, operands cold, bench/NOTES.md v38).
        using ImagePairs = RectanglesOf<Cfg, kRectangleRows<Cfg>, 2>;
        if constexpr (ImagePairs::kRoundSteps > 1) {
          const bool small_images = params.n > 1 && params.tiles_h <= ImagePairs::kRegionRows &&
                                    params.tiles_w <= ImagePairs::kRegionCols;
          const bool fewer_blocks =
              params.n > 1 && wino::tile_blocks<ImagePairs>(params) < wino::tile_blocks<Rectangles>(params);
          const bool by_rule = forced == 0 || forced == 4;  // forcing 2 × 16 leaves small images to this rule
          if (facts.sm90a && fits<ImagePairs>(facts) && (forced == 3 || (by_rule && (small_images || fewer_blocks)))) {
            const SplitPlans pairs = plan_launch<ImagePairs, true>(params, facts, rectangle_step_cost);
            if (forced == 3 || pairs.uniform.cost <= consecutive.uniform.cost)
              return launch_kernel<ImagePairs, true>(params, pairs.best, facts, stream);
          }
        }
        // Blocks of 4 × 4 tiles (16 tiles, wgmma's N = 16) where rectangles have rounds: where a 4 × 8 rectangle
        // covers a whole image with half its slots empty (as many blocks, half the work: ResNet-50 512×7 batch 1
        // −7.6 %, H200, bench/NOTES.md v36) and consecutive tiles cost no less, or unsplit where the split model costs
        // them less than either order of the 32-tile block (twice its blocks with half the transform and epilogue
        // each: ResNet-50 64×56 batch 1 −10 %; unsplit over 8 or more steps, or split over 6 or 8 blocks a cluster,
        // they measured slower; over 2 or 4, below, faster).
        using SixteenTiles = RectanglesOf<Cfg, kRectangleRows<Cfg>, 1, 16>;
        if constexpr (Cfg::kBlockTiles == 32 && SixteenTiles::kRoundSteps > 1) {
          if (facts.sm90a && fits<SixteenTiles>(facts) && (forced == 5 || forced == 0)) {
            const SplitPlans sixteen = plan_launch<SixteenTiles, true>(params, facts, rectangle_step_cost);
            const bool half_empty =
                wino::tile_blocks<SixteenTiles>(params) <= wino::tile_blocks<Rectangles>(params) &&
                sixteen.best.cost <= consecutive.best.cost;
            const double other = std::min(rectangles.best.cost, consecutive.best.cost);
            if (forced == 5 || half_empty || (sixteen.best.c_split == 1 && sixteen.best.cost < other))
              return launch_kernel<SixteenTiles, true>(params, sixteen.best, facts, stream);
            // Sparse grids of many steps (the 32-tile block's grid on at most a quarter of the SMs, 8 or more steps
            // a block): the 4 × 4 block split over the most blocks a cluster (2 or 4) that keeps its grid within
            // three quarters of the SMs and at most 6 steps a block, thresholds read off the v36 sweep (grids of 128
            // split blocks ran far slower there). Bench A/B (H200, bench/NOTES.md v37): ResNet-50 128×28 / 256×14 batch
            // 1 −4.5 / −5.3 %, DenseNet-161 56² / 28² −4.9 / −3.0 %.
            const int steps = (params.c + wino::kChannelStep - 1) / wino::kChannelStep;
            if (facts.clusters && forced == 0 && grid_blocks<Rectangles>(params) * 4 <= facts.sms && steps >= 8)
              for (const int split : {4, 2})
                if (grid_blocks<SixteenTiles>(params) * split * 4 <= facts.sms * 3 && (steps + split - 1) / split <= 6)
                  return launch_kernel<SixteenTiles, true>(params, LaunchPlan{split, 0, 0.0}, facts, stream);
          }
        }
        // Rectangles of 2 × 16 tiles where rectangles have rounds: fewer tile slots than 4 × 8 on images whose tile
        // columns leave a 4 × 8 rectangle's last column of blocks mostly empty (28²: 14 tiles in 16, 7 blocks an
        // image instead of 8), chosen where they take fewer blocks and the split model costs them no more. Ties
        // of whole waves count: a one-wave grid of fewer blocks ends sooner and persistent blocks take their work
        // items in turn (bench/NOTES.md v35: ResNet-50 128×28 batch 1 −7 %).
        using WideRectangles = RectanglesOf<Cfg, kRectangleRows<Cfg> / 2>;
        if constexpr (WideRectangles::kRoundSteps > 1) {
          if (facts.sm90a && fits<WideRectangles>(facts) && (forced == 4 || forced == 0)) {
            const SplitPlans wide = plan_launch<WideRectangles, true>(params, facts, rectangle_step_cost);
            const bool fewer_blocks =
                wino::tile_blocks<WideRectangles>(params) < wino::tile_blocks<Rectangles>(params);
            if (forced == 4 || (fewer_blocks && wide.uniform.cost <= rectangles.uniform.cost &&
                                wide.uniform.cost <= consecutive.uniform.cost))
              return launch_kernel<WideRectangles, true>(params, wide.best, facts, stream);
          }
        }
        if (forced == 2 || (forced == 0 && rectangles.uniform.cost <= consecutive.uniform.cost))
          return launch_kernel<Rectangles, true>(params, rectangles.best, facts, stream);
        return launch_kernel<Cfg, true>(params, consecutive.best, facts, stream);
      }
      return plan_and_launch<Cfg, true>(params, facts, stream);
    }
  }
  return plan_and_launch<Cfg, false>(params, facts, stream);
}

template <int M>
hipError_t dispatch_conv(const wino::Params& params, bool compensated, hipStream_t stream) {
  DeviceFacts facts;
  NOVA_HIP_RETURN_IF_ERROR(device_facts(&facts));
#if !defined(NOVA_WINO_SMALL_SHARED)
  if constexpr (M == 2) {
    using Large = TileConfig<2, false>::type;
    const int forced = forced_f2_block.load(std::memory_order_relaxed);
    const int64_t large_blocks = grid_blocks<Large>(params);
    const bool more_than_a_wave = large_blocks > static_cast<int64_t>(facts.sms) * Large::kBlocksPerSm;
    const bool narrow = forced == NarrowF2::kBlockK ||
                        (forced != Large::kBlockK && (large_blocks < kLargeF2MinBlocks ||
                                                      (params.k <= NarrowF2::kBlockK && more_than_a_wave)));
    if (!compensated && (narrow || !fits<Large>(facts))) return launch_fused<NarrowF2>(params, facts, stream);
  }
#endif  // !NOVA_WINO_SMALL_SHARED
  // Tiles this build lacks are refused by wino_can_implement before any launch.
  if (compensated) {
    if constexpr (TileConfig<M, true>::kBuilt)
      return launch_fused<typename TileConfig<M, true>::type>(params, facts, stream);
    else
      return hipErrorInvalidValue;
  }
  if constexpr (TileConfig<M, false>::kBuilt)
    return launch_fused<typename TileConfig<M, false>::type>(params, facts, stream);
  else
    return hipErrorInvalidValue;
}

template <int M>
hipError_t dispatch_filter(const void* filter, void* u, const ConvShape& shape, bool compensated, hipStream_t stream) {
  const int c_pad = wino::round_up(shape.c, wino::kChannelStep);
  const int k_pad = wino::filter_k_rows(M, shape.k);
  const int64_t plane = wino::u_plane_elements(M, shape.k, shape.c);
  const int64_t threads = static_cast<int64_t>(k_pad) * c_pad;
  constexpr int kBlock = 256;
  const int64_t blocks = (threads + kBlock - 1) / kBlock < 65536 ? (threads + kBlock - 1) / kBlock : 65536;
  const auto* f = static_cast<const __half*>(filter);
  auto* out = static_cast<__half*>(u);
  if (compensated)
    wino::wino_transform_filter_fp16<M, true><<<static_cast<unsigned>(blocks), kBlock, 0, stream>>>(
        f, out, shape.k, k_pad, shape.c, c_pad, plane);
  else
    wino::wino_transform_filter_fp16<M, false><<<static_cast<unsigned>(blocks), kBlock, 0, stream>>>(
        f, out, shape.k, k_pad, shape.c, c_pad, plane);
  return hipGetLastError();
}

}  // namespace

void wino_force_c_split(int split, bool mixed) {
  forced_c_split.store(split >= 1 && split <= wino::kMaxChannelSplit ? split : 0);
  forced_mixed_split.store(mixed);
}

void wino_force_tile_order(int order) { forced_tile_order.store(order >= 1 && order <= 5 ? order : 0); }

void wino_disable_overlap(bool disabled) { overlap_disabled.store(disabled); }

void wino_disable_early_filter(bool disabled) { early_filter_disabled.store(disabled); }

void wino_disable_persistent(bool disabled) { persistent_disabled.store(disabled); }

void wino_force_f2_block(int channels) { forced_f2_block.store(channels == 32 || channels == 64 ? channels : 0); }

void wino_force_shared_limit(int bytes) { forced_shared_limit.store(bytes > 0 ? bytes : 0); }

const WinoLaunchInfo& wino_last_launch() { return last_launch; }

std::string wino_describe(const WinoLaunchInfo& launch) {
  std::string tiles = " consecutive";
  if (launch.region_rows > 0) {
    tiles = " " + std::to_string(launch.region_rows) + "x" + std::to_string(launch.region_cols);
    if (launch.region_images > 1) tiles += " x" + std::to_string(launch.region_images) + " images";
  }
  std::string split = ", split " + std::to_string(launch.c_split);
  if (launch.c_split > 1 && launch.unsplit_rows > 0)
    split += " (" + std::to_string(launch.unsplit_rows) + " rows unsplit)";
  return "F" + std::to_string(launch.m) + ": " + std::to_string(launch.block_tiles) + " tiles" + tiles + ", k " +
         std::to_string(launch.block_k) + split + (launch.persistent ? ", persistent, " : ", ") +
         std::to_string(launch.grid_blocks) + " blocks";
}

const char* wino_can_implement(const ConvShape& shape, int m, bool compensated) {
  if (const char* reason = wino::can_implement(shape, m, compensated)) return reason;
  DeviceFacts facts;
  if (device_facts(&facts) != hipSuccess) return nullptr;  // the launch will report the runtime's error
  const size_t needed = m == 2   ? (compensated ? least_shared_bytes<2, true>() : least_shared_bytes<2, false>())
                        : m == 4 ? (compensated ? least_shared_bytes<4, true>() : least_shared_bytes<4, false>())
                                 : (compensated ? least_shared_bytes<6, true>() : least_shared_bytes<6, false>());
  const int limit = shared_limit(facts);
  if (needed <= static_cast<size_t>(limit)) return nullptr;
  thread_local char reason[160];
  std::snprintf(reason, sizeof reason,
                "its tile needs %zu KB of shared memory per block and this device allows %d KB", needed / 1024,
                limit / 1024);
  return reason;
}

int wino_preferred_m(const ConvShape& shape) {
  // Measured over the 48 bench cells (bench/NOTES.md, v15, v19): F(2,3) is the fastest of our kernels on all of
  // them (H200 at edeb524, H100 at 88e4f67; at 316a75d it trailed F(6,3) or F(4,3) by 1–6 % on four), with errors
  // 13× (F(6,3)) and 3× (F(4,3)) smaller. Kept a function of the shape for the next retune.
  (void)shape;
  return 2;
}

size_t wino_filter_bytes(const ConvShape& shape, int m, bool compensated) {
  return static_cast<size_t>(wino::u_plane_elements(m, shape.k, shape.c)) * sizeof(__half) * (compensated ? 2 : 1);
}

hipError_t wino_prepare_filter(const void* filter_krsc_fp16, void* out, const ConvShape& shape, int m, bool compensated,
                               hipStream_t stream) {
  if (wino::can_implement(shape, m, compensated) != nullptr || !filter_krsc_fp16 || !out) return hipErrorInvalidValue;
  switch (m) {
    case 2: return dispatch_filter<2>(filter_krsc_fp16, out, shape, compensated, stream);
    case 4: return dispatch_filter<4>(filter_krsc_fp16, out, shape, compensated, stream);
    case 6: return dispatch_filter<6>(filter_krsc_fp16, out, shape, compensated, stream);
    default: return hipErrorInvalidValue;
  }
}

hipError_t wino_conv2d_fp16_nhwc(const void* x, const void* filter, const void* bias_fp16_or_null, void* y,
                                 const ConvShape& shape, int m, bool relu, bool compensated, hipStream_t stream,
                                 WinoFilterState filter_state) {
  if (wino::can_implement(shape, m, compensated) != nullptr || !x || !filter || !y) return hipErrorInvalidValue;
  wino::Params params = wino::make_params(shape, m, x, filter, bias_fp16_or_null, y, relu);
  params.filter_settled =
      filter_state == WinoFilterState::kSettled && !early_filter_disabled.load(std::memory_order_relaxed);
  switch (m) {
    case 2: return dispatch_conv<2>(params, compensated, stream);
    case 4: return dispatch_conv<4>(params, compensated, stream);
    case 6: return dispatch_conv<6>(params, compensated, stream);
    default: return hipErrorInvalidValue;
  }
}

}  // namespace nova
