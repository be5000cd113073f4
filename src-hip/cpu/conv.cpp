// Entry point of the CPU convolutions: picks the arithmetic type from the storage mode, and reads the generated
// Winograd constants.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "../generated/winograd_constants.h"
#include "conv.hpp"
#include "conv_paths.hpp"

namespace nova::cpu {

void StageStats::merge(const StageStats& other) {
  count += other.count;
  inf += other.inf;
  nan += other.nan;
  flushed_to_zero += other.flushed_to_zero;
  subnormal += other.subnormal;
  max_abs = std::max(max_abs, other.max_abs);
}

namespace {

// F3<M> is declared for every M but defined only for the tile sizes the generator built.
template <int M, typename = void>
struct IsBuilt : std::false_type {};
template <int M>
struct IsBuilt<M, std::void_t<decltype(sizeof(wino::F3<M>))>> : std::true_type {};

template <int M>
WinogradMatrices matrices_from_header() {
  if constexpr (IsBuilt<M>::value) {
    using F = wino::F3<M>;
    constexpr int kAlpha = F::kAlpha;
    WinogradMatrices result;
    result.m = M;
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < kAlpha; ++j) result.at.push_back(F::kATd[i][j]);
    for (int i = 0; i < kAlpha; ++i)
      for (int j = 0; j < 3; ++j) result.g.push_back(F::kGd[i][j]);
    for (int i = 0; i < kAlpha; ++i)
      for (int j = 0; j < kAlpha; ++j) result.bt.push_back(F::kBTd[i][j]);
    return result;
  } else {
    throw std::invalid_argument("F(" + std::to_string(M) + ",3) is not in src-hip/generated/winograd_constants.h");
  }
}

}  // namespace

bool has_builtin_matrices(int m) {
  switch (m) {
    case 2: return IsBuilt<2>::value;
    case 3: return IsBuilt<3>::value;
    case 4: return IsBuilt<4>::value;
    case 5: return IsBuilt<5>::value;
    case 6: return IsBuilt<6>::value;
    case 7: return IsBuilt<7>::value;
    case 8: return IsBuilt<8>::value;
    default: return false;
  }
}

WinogradMatrices builtin_matrices(int m) {
  switch (m) {
    case 2: return matrices_from_header<2>();
    case 3: return matrices_from_header<3>();
    case 4: return matrices_from_header<4>();
    case 5: return matrices_from_header<5>();
    case 6: return matrices_from_header<6>();
    case 7: return matrices_from_header<7>();
    case 8: return matrices_from_header<8>();
    default: throw std::invalid_argument("Winograd F(m,3) needs m between 2 and 8");
  }
}

template <typename T>
ConvStats conv2d(const ConvArgs<T>& args) {
  // Emulated fp16 storage mirrors the GPU, whose arithmetic is float; exact storage computes in the array type.
  const bool exact = args.storage == Storage::kExact;
  if (args.algorithm == Algorithm::kDirect) {
    return exact ? conv2d_direct<T, T>(args) : conv2d_direct<T, float>(args);
  }
  return exact ? conv2d_winograd<T, T>(args) : conv2d_winograd<T, float>(args);
}

template ConvStats conv2d<float>(const ConvArgs<float>&);
template ConvStats conv2d<double>(const ConvArgs<double>&);

}  // namespace nova::cpu
