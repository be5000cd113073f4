// Internals shared by the CPU convolution paths: tensor strides and storage rounding with statistics.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "conv.hpp"
#include "half.hpp"

namespace nova::cpu::detail {

/** Element strides of a 4-D activation tensor (dims n, channel, row, column) in either layout. */
struct ActivationStrides {
  std::int64_t n, c, h, w;

  ActivationStrides(Layout layout, std::int64_t channels, std::int64_t rows, std::int64_t cols)
      : n(channels * rows * cols),
        c(layout == Layout::kNhwc ? 1 : rows * cols),
        h(layout == Layout::kNhwc ? cols * channels : cols),
        w(layout == Layout::kNhwc ? channels : 1) {}
};

inline void record(StageStats& stats, double before, double stored, bool stored_zero, double min_normal) {
  ++stats.count;
  if (std::isnan(stored)) {
    ++stats.nan;
  } else if (std::isinf(stored)) {
    ++stats.inf;
  } else if (stored_zero) {
    if (before != 0) ++stats.flushed_to_zero;
  } else if (std::fabs(stored) < min_normal) {
    ++stats.subnormal;
  }
  if (!std::isnan(before) && std::fabs(before) > stats.max_abs) stats.max_abs = std::fabs(before);
}

/** Stores one value of a stage as `storage` says (exact: unchanged; otherwise rounded to fp16) and records it. */
template <typename Acc>
inline Acc store_value(Acc value, Storage storage, StageStats& stats) {
  if (storage == Storage::kExact) {
    record(stats, value, value, value == 0, std::numeric_limits<Acc>::min());
    return value;
  }
  const float half = round_to_half(static_cast<float>(value));
  record(stats, value, half, half == 0, kHalfMinNormal);
  return half;
}

/**
 * Splits a value into an fp16 hi part and an fp16 lo residual (value − hi is exact in float). Statistics describe
 * hi; a value counts as flushed only when both parts are 0. An overflowing hi (±Inf) gets lo = 0 so hi + lo is Inf,
 * not NaN.
 */
inline void store_split(float value, float& hi, float& lo, StageStats& stats) {
  hi = round_to_half(value);
  lo = std::isfinite(hi) ? round_to_half(value - hi) : 0.0f;
  record(stats, value, hi, hi == 0 && lo == 0, kHalfMinNormal);
}

}  // namespace nova::cpu::detail
