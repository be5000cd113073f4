// IEEE 754 binary16 rounding for the CPU emulation of the GPU's fp16 storage: round to nearest, ties to even,
// overflow to ±Inf, NaN kept. Software conversion (no F16C, no _Float16) so every compiler and CPU gives the same
// bits; checked against g++'s _Float16 for all 2^32 float inputs when written.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace nova::cpu {

inline constexpr float kHalfMinNormal = 0x1p-14f;

inline std::uint16_t half_bits_from_float(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  const std::uint32_t sign = (bits >> 16) & 0x8000u;
  const std::uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) {  // Inf, or NaN (quiet it and keep the top payload bits)
    return static_cast<std::uint16_t>(sign | 0x7c00u | (magnitude > 0x7f800000u ? 0x200u | ((magnitude >> 13) & 0x3ffu) : 0u));
  }
  if (magnitude >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // ≥ 65520 rounds to Inf
  if (magnitude < 0x38800000u) {
    // Below 2^-14: the half is subnormal, mantissa = |value|·2^24 rounded to an integer (0..1024; 1024 is exactly
    // the smallest normal's encoding). Scaling by 2^24 is exact; nearbyint rounds ties to even in the default mode.
    const float scaled = std::fabs(value) * 0x1p24f;
    return static_cast<std::uint16_t>(sign | static_cast<std::uint32_t>(std::nearbyint(scaled)));
  }
  // Normal: rebias the exponent (127 → 15) and drop 13 mantissa bits with ties to even; a carry out of the
  // mantissa correctly bumps the exponent.
  const std::uint32_t rebiased = magnitude - ((127u - 15u) << 23);
  const std::uint32_t rounded = rebiased + 0xfffu + ((rebiased >> 13) & 1u);
  return static_cast<std::uint16_t>(sign | (rounded >> 13));
}

inline float float_from_half_bits(std::uint16_t half) {
  const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000u) << 16;
  const std::uint32_t exponent = (half >> 10) & 0x1fu;
  const std::uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0) {
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  std::uint32_t bits;
  if (exponent == 31) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 127u - 15u) << 23) | (mantissa << 13);
  }
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

/** The fp16 value nearest to `value`, as a float. */
inline float round_to_half(float value) { return float_from_half_bits(half_bits_from_float(value)); }

}  // namespace nova::cpu
