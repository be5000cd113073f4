// Checks the generated Winograd constants numerically: for random tiles d and filters g,
// Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A must match the direct 2-D correlation computed in double.
// The double twins must agree to 1e-12 (relative Frobenius), the float arrays to 1e-5
// (both evaluated in double, so only the rounding of the constants is measured).
// Built and run by test/cpp/run.sh.

#include "../../src-hip/generated/winograd_constants.h"

#include <cmath>
#include <cstdio>
#include <random>

namespace {

struct ErrorSums {
  double diff2 = 0.0;
  double ref2 = 0.0;
  double relative() const { return std::sqrt(diff2 / ref2); }
};

// Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A for one tile, every product in double; T is float or double (the constants' type).
template <int M, typename T>
void winograd_tile(const T (&at)[M][M + 2], const T (&g_mat)[M + 2][3], const T (&bt)[M + 2][M + 2],
                   const double (&d)[M + 2][M + 2], const double (&g)[3][3], double (&y)[M][M]) {
  constexpr int kAlpha = M + 2;
  double gg[kAlpha][3] = {};  // G g
  double u[kAlpha][kAlpha] = {};  // G g Gᵀ
  double bd[kAlpha][kAlpha] = {};  // Bᵀ d
  double v[kAlpha][kAlpha] = {};  // Bᵀ d B
  for (int i = 0; i < kAlpha; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) gg[i][j] += double(g_mat[i][k]) * g[k][j];
  for (int i = 0; i < kAlpha; ++i)
    for (int j = 0; j < kAlpha; ++j)
      for (int k = 0; k < 3; ++k) u[i][j] += gg[i][k] * double(g_mat[j][k]);
  for (int i = 0; i < kAlpha; ++i)
    for (int j = 0; j < kAlpha; ++j)
      for (int k = 0; k < kAlpha; ++k) bd[i][j] += double(bt[i][k]) * d[k][j];
  for (int i = 0; i < kAlpha; ++i)
    for (int j = 0; j < kAlpha; ++j)
      for (int k = 0; k < kAlpha; ++k) v[i][j] += bd[i][k] * double(bt[j][k]);
  double am[M][kAlpha] = {};  // Aᵀ (U ⊙ V)
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < kAlpha; ++j)
      for (int k = 0; k < kAlpha; ++k) am[i][j] += double(at[i][k]) * u[k][j] * v[k][j];
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < M; ++j) {
      y[i][j] = 0.0;
      for (int k = 0; k < kAlpha; ++k) y[i][j] += am[i][k] * double(at[j][k]);
    }
}

template <int M>
bool check_tile_size(std::mt19937_64& rng) {
  using W = nova::wino::F3<M>;
  static_assert(W::kM == M && W::kR == 3 && W::kAlpha == M + 2, "tile constants disagree with M");
  constexpr int kAlpha = M + 2;
  constexpr int kTrials = 2000;
  std::normal_distribution<double> normal(0.0, 1.0);
  ErrorSums exact_twin, float_twin;
  for (int trial = 0; trial < kTrials; ++trial) {
    double d[kAlpha][kAlpha], g[3][3], ref[M][M], y[M][M];
    for (auto& row : d)
      for (double& x : row) x = normal(rng);
    for (auto& row : g)
      for (double& x : row) x = normal(rng);
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < M; ++j) {
        ref[i][j] = 0.0;
        for (int u = 0; u < 3; ++u)
          for (int v = 0; v < 3; ++v) ref[i][j] += g[u][v] * d[i + u][j + v];
      }
    winograd_tile<M, double>(W::kATd, W::kGd, W::kBTd, d, g, y);
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < M; ++j) {
        exact_twin.diff2 += (y[i][j] - ref[i][j]) * (y[i][j] - ref[i][j]);
        exact_twin.ref2 += ref[i][j] * ref[i][j];
      }
    winograd_tile<M, float>(W::kAT, W::kG, W::kBT, d, g, y);
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < M; ++j) {
        float_twin.diff2 += (y[i][j] - ref[i][j]) * (y[i][j] - ref[i][j]);
        float_twin.ref2 += ref[i][j] * ref[i][j];
      }
  }
  // the device accessors must hold the same values as the host arrays
  bool accessors_match = true;
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < kAlpha; ++j) accessors_match &= W::at(i, j) == W::kAT[i][j];
  for (int i = 0; i < kAlpha; ++i)
    for (int j = 0; j < 3; ++j) accessors_match &= W::g(i, j) == W::kG[i][j];
  for (int i = 0; i < kAlpha; ++i)
    for (int j = 0; j < kAlpha; ++j) accessors_match &= W::bt(i, j) == W::kBT[i][j];

  const bool ok = exact_twin.relative() < 1e-12 && float_twin.relative() < 1e-5 && accessors_match;
  std::printf("F(%d,3) points {%s}: rel err double %.3e (< 1e-12), float %.3e (< 1e-5), accessors %s  %s\n", M,
              W::kPoints, exact_twin.relative(), float_twin.relative(), accessors_match ? "match" : "DIFFER",
              ok ? "ok" : "FAIL");
  return ok;
}

}  // namespace

int main() {
  std::mt19937_64 rng(20261126);
  std::printf("winograd_constants.h sha256 %s\n", nova::wino::kConstantsSha256);
  bool ok = true;
  ok &= check_tile_size<2>(rng);
  ok &= check_tile_size<4>(rng);
  ok &= check_tile_size<6>(rng);
  ok &= check_tile_size<8>(rng);
  std::printf("%s\n", ok ? "all constants ok" : "CONSTANTS CHECK FAILED");
  return ok ? 0 : 1;
}
