// Host check (nvcc, no GPU needed) of the compile-time test that routes the input transform to the matrix units:
// exact_in_fp16 against the CUDA runtime's own float → half conversion on every entry of Bᵀ ⊗ Bᵀ and on edge
// values, and input_transform_exact_in_fp16<M> against that per-entry answer. Built and run by test/cpp/run.sh.
#include "../../src-hip/winograd/transforms.hpp"

#include <cstdio>

namespace {

int failures = 0;

// Exact in fp16 according to the runtime's round-to-nearest conversion (x is a float value here).
bool runtime_exact(double x) {
  const float f = static_cast<float>(x);
  return static_cast<double>(f) == x && static_cast<double>(__half2float(__float2half_rn(f))) == x;
}

void expect(bool ok, const char* what, double x) {
  if (!ok) {
    std::printf("FAIL %s (x = %.17g)\n", what, x);
    ++failures;
  }
}

template <int M>
void check_tile() {
  constexpr int kPositions = (M + 2) * (M + 2);
  bool all_exact = true;
  for (int row = 0; row < kPositions; ++row)
    for (int col = 0; col < kPositions; ++col) {
      const double x = nova::wino::input_transform_kron<M>(row, col);
      const bool exact = runtime_exact(x);
      expect(nova::wino::exact_in_fp16(x) == exact, "exact_in_fp16 disagrees with __float2half_rn", x);
      all_exact = all_exact && exact;
    }
  expect(nova::wino::input_transform_exact_in_fp16<M>() == all_exact, "input_transform_exact_in_fp16", M);
  std::printf("F(%d,3): Bᵀ⊗Bᵀ %s in fp16\n", M, all_exact ? "exact" : "not exact");
}

}  // namespace

int main() {
  for (const double x : {0.0, 1.0, -1.0, 2047.0, 2048.0, 2049.0, 1.0 + 1.0 / 1024, 1.0 + 1.0 / 2048, 65504.0, 65536.0,
                         1.0 / 16384, 3.0 / 16384, 27.5625, 225.0 / 256, 50625.0 / 65536})
    expect(nova::wino::exact_in_fp16(x) == runtime_exact(x), "exact_in_fp16 edge value", x);
  check_tile<2>();
  check_tile<4>();
  check_tile<6>();
  // The kernels depend on these: F(2,3) and F(6,3) transform on the matrix units, F(4,3) on the CUDA cores.
  static_assert(nova::wino::input_transform_exact_in_fp16<2>() && nova::wino::input_transform_exact_in_fp16<6>() &&
                    !nova::wino::input_transform_exact_in_fp16<4>(),
                "the default points' Bᵀ ⊗ Bᵀ exactness changed: update bench/NOTES.md (v8) and re-measure");
  std::printf("%s\n", failures ? "input transform exactness: FAIL" : "input transform exactness: ok");
  return failures ? 1 : 0;
}
