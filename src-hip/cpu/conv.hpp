// CPU convolution: the float64 reference, the fp32 direct path and Winograd F(m,3) with emulated GPU storage
// precision. Plain C++ (no Node): the N-API addon (addon.cpp) and C++ tests call these entry points.
//
// Conventions: input is N·C·H·W values in `layout` order, filter is KCRS, output is N·K·outH·outW in `layout`
// order, bias has K values (or is null). Cross-correlation (no filter flip), zero padding.
#pragma once

#include <cstdint>
#include <vector>

namespace nova::cpu {

enum class Layout { kNhwc, kNchw };
enum class Algorithm { kDirect, kWinograd };

/**
 * What stored values are rounded to.
 *  kExact:       nothing is rounded; arithmetic in the array type (double or float).
 *  kFp16:        mirrors the GPU: transforms and the Σ_c U⊙V accumulation in float, V = BᵀdB and U = GgGᵀ rounded to
 *                fp16, output rounded to fp16 after bias and ReLU. For direct: float accumulation, fp16 output.
 *  kCompensated: like kFp16, but V and U are each kept as an fp16 hi part plus an fp16 lo residual, and the
 *                products hi·hi + hi·lo + lo·hi are accumulated in float.
 */
enum class Storage { kExact, kFp16, kCompensated };

struct ConvShape {
  std::int64_t n, c, h, w, k, r, s;
  std::int64_t pad_h, pad_w, stride_h, stride_w, dilation_h, dilation_w;

  std::int64_t out_h() const { return (h + 2 * pad_h - dilation_h * (r - 1) - 1) / stride_h + 1; }
  std::int64_t out_w() const { return (w + 2 * pad_w - dilation_w * (s - 1) - 1) / stride_w + 1; }
};

/** What happened to the values of one stored stage. */
struct StageStats {
  std::uint64_t count = 0;
  std::uint64_t inf = 0;
  std::uint64_t nan = 0;
  /** Nonzero values that became 0 when stored. */
  std::uint64_t flushed_to_zero = 0;
  /** Stored values that are subnormal in the storage format (fp16, or the array type when exact). */
  std::uint64_t subnormal = 0;
  /** Largest |value| before rounding (NaN ignored), so overflow margins stay visible. */
  double max_abs = 0;

  void merge(const StageStats& other);
};

struct ConvStats {
  StageStats input_transform;   // V = BᵀdB (Winograd only)
  StageStats filter_transform;  // U = GgGᵀ (Winograd only)
  StageStats output;
};

/** Aᵀ (m×α), G (α×3), Bᵀ (α×α), row-major, α = m + 2. */
struct WinogradMatrices {
  int m = 0;
  std::vector<double> at, g, bt;
};

/** The generated header's matrices for F(m,3); throws std::invalid_argument when m was not built. */
WinogradMatrices builtin_matrices(int m);
/** Whether the generated header has F(m,3). */
bool has_builtin_matrices(int m);

template <typename T>
struct ConvArgs {
  const T* input = nullptr;
  const T* filter = nullptr;
  const T* bias = nullptr;  // may be null
  T* output = nullptr;
  ConvShape shape{};
  Layout layout = Layout::kNhwc;
  bool relu = false;
  Algorithm algorithm = Algorithm::kDirect;
  Storage storage = Storage::kExact;
  /** Winograd only; r = s = 3, stride 1, dilation 1 are the caller's to check. */
  WinogradMatrices matrices;
  int threads = 1;
};

/** Runs one convolution; writes every output element. Throws std::exception on failure (e.g. bad_alloc). */
template <typename T>
ConvStats conv2d(const ConvArgs<T>& args);

extern template ConvStats conv2d<float>(const ConvArgs<float>&);
extern template ConvStats conv2d<double>(const ConvArgs<double>&);

}  // namespace nova::cpu
