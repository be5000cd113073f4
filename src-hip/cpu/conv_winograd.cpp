// Winograd F(m,3) convolution on the CPU: Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A per m×m output tile, stride 1,
// dilation 1, any padding; border tiles read zeros outside the input and write only inside the output.
//
// Filters are transformed once per call (U, laid out [α²][C][K]). A work item is a block of tile rows of one
// image: its tiles' V (laid out [α²][C][tiles]) feed α² small products M = Vᵀ·U (laid out [α²][tiles][K]),
// then Y = AᵀMA per tile. Each output value is computed by the same sequence of operations whatever the blocking
// or thread count, so results are bit-identical across runs and thread counts.
#include <algorithm>
#include <stdexcept>
#include <vector>

#include "conv_paths.hpp"
#include "detail.hpp"
#include "parallel.hpp"

namespace nova::cpu {
namespace {

/**
 * out = L·X·Lᵀ for an Outer×Inner matrix L (Bᵀ, G or Aᵀ). The dense loops vectorise; when they produce a NaN (a
 * non-finite value met a zero coefficient: 0·Inf), the tile is recomputed skipping zero coefficients, as kernels
 * with the constants folded in do, so Inf stays Inf. Both forms add the same nonzero products in the same order,
 * so finite results are identical.
 */
template <typename Acc, int Outer, int Inner>
class Transform {
 public:
  explicit Transform(const std::vector<double>& matrix) {
    for (int i = 0; i < Outer; ++i) {
      for (int l = 0; l < Inner; ++l) {
        const Acc v = static_cast<Acc>(matrix[static_cast<std::size_t>(i * Inner + l)]);
        dense_[i][l] = v;
        transposed_[l][i] = v;
        if (v != 0) {
          nonzero_col_[i][nonzero_count_[i]] = l;
          ++nonzero_count_[i];
        }
      }
    }
  }

  void apply(const Acc (&x)[Inner][Inner], Acc (&out)[Outer][Outer]) const {
    Acc half[Outer][Inner];
    for (int i = 0; i < Outer; ++i) {
      for (int j = 0; j < Inner; ++j) half[i][j] = 0;
      for (int l = 0; l < Inner; ++l) {
        const Acc coefficient = dense_[i][l];
        for (int j = 0; j < Inner; ++j) half[i][j] += coefficient * x[l][j];
      }
    }
    bool any_nan = false;
    for (int i = 0; i < Outer; ++i) {
      for (int j = 0; j < Outer; ++j) out[i][j] = 0;
      for (int l = 0; l < Inner; ++l) {
        const Acc h = half[i][l];
        for (int j = 0; j < Outer; ++j) out[i][j] += h * transposed_[l][j];
      }
      for (int j = 0; j < Outer; ++j) any_nan |= out[i][j] != out[i][j];
    }
    if (any_nan) apply_sparse(x, out);
  }

 private:
  void apply_sparse(const Acc (&x)[Inner][Inner], Acc (&out)[Outer][Outer]) const {
    Acc half[Outer][Inner];
    for (int i = 0; i < Outer; ++i) {
      for (int j = 0; j < Inner; ++j) {
        Acc sum = 0;
        for (int e = 0; e < nonzero_count_[i]; ++e) sum += dense_[i][nonzero_col_[i][e]] * x[nonzero_col_[i][e]][j];
        half[i][j] = sum;
      }
    }
    for (int i = 0; i < Outer; ++i) {
      for (int j = 0; j < Outer; ++j) {
        Acc sum = 0;
        for (int e = 0; e < nonzero_count_[j]; ++e) sum += half[i][nonzero_col_[j][e]] * dense_[j][nonzero_col_[j][e]];
        out[i][j] = sum;
      }
    }
  }

  Acc dense_[Outer][Inner];
  Acc transposed_[Inner][Outer];
  int nonzero_col_[Outer][Inner];
  int nonzero_count_[Outer] = {};
};

/**
 * out[0..Width) = Σ_c u[c·u_stride + j] · v[c·v_stride] for one tile and a block of output channels, kept in
 * registers over the whole sum. With residuals (split) each c adds u·v, then u·v_lo, then u_lo·v, in turn, as
 * three fp16 MMAs into one fp32 accumulator would.
 */
template <typename Acc, int Width>
inline void accumulate_block(bool split, const Acc* u, const Acc* u_lo, const Acc* v, const Acc* v_lo, std::int64_t channels,
                             std::int64_t u_stride, std::int64_t v_stride, Acc* out) {
  Acc sum[Width] = {};
  if (split) {
    for (std::int64_t c = 0; c < channels; ++c) {
      const Acc v_hi = v[c * v_stride], v_res = v_lo[c * v_stride];
      const Acc* u_hi = u + c * u_stride;
      const Acc* u_res = u_lo + c * u_stride;
      for (int j = 0; j < Width; ++j) {
        sum[j] += u_hi[j] * v_hi;
        sum[j] += u_hi[j] * v_res;
        sum[j] += u_res[j] * v_hi;
      }
    }
  } else {
    for (std::int64_t c = 0; c < channels; ++c) {
      const Acc v_c = v[c * v_stride];
      const Acc* u_c = u + c * u_stride;
      for (int j = 0; j < Width; ++j) sum[j] += u_c[j] * v_c;
    }
  }
  for (int j = 0; j < Width; ++j) out[j] = sum[j];
}

/** Output channels per register block in the Σ_c U⊙V products. */
constexpr int kChannelBlock = 16;

template <typename T, typename Acc, int Alpha>
ConvStats winograd(const ConvArgs<T>& args) {
  constexpr int kM = Alpha - 2;
  constexpr int kPositions = Alpha * Alpha;  // Winograd-domain positions per tile
  const ConvShape& p = args.shape;
  const std::int64_t out_h = p.out_h(), out_w = p.out_w();
  const std::int64_t tiles_h = (out_h + kM - 1) / kM, tiles_w = (out_w + kM - 1) / kM;
  const detail::ActivationStrides in(args.layout, p.c, p.h, p.w);
  const detail::ActivationStrides out(args.layout, p.k, out_h, out_w);
  const bool split = args.storage == Storage::kCompensated;

  const Transform<Acc, Alpha, Alpha> bt(args.matrices.bt);
  const Transform<Acc, Alpha, 3> g(args.matrices.g);
  const Transform<Acc, kM, Alpha> at(args.matrices.at);

  ConvStats result;

  // U = G g Gᵀ, [α²][C][K]; with compensated storage u_lo holds the residuals.
  const std::size_t filter_values = static_cast<std::size_t>(kPositions * p.k * p.c);
  std::vector<Acc> u(filter_values), u_lo(split ? filter_values : 0);
  {
    const int workers = worker_count(p.k, args.threads);
    std::vector<StageStats> stats(static_cast<std::size_t>(workers));
    parallel_for(p.k, workers, [&](std::int64_t k, int worker) {
      StageStats& stage = stats[static_cast<std::size_t>(worker)];
      for (std::int64_t c = 0; c < p.c; ++c) {
        const T* taps = args.filter + (k * p.c + c) * 9;
        Acc filter[3][3];
        for (int i = 0; i < 9; ++i) filter[i / 3][i % 3] = static_cast<Acc>(taps[i]);
        Acc transformed[Alpha][Alpha];
        g.apply(filter, transformed);
        for (int e = 0; e < kPositions; ++e) {
          const std::size_t u_index = static_cast<std::size_t>((e * p.c + c) * p.k + k);
          const Acc value = transformed[e / Alpha][e % Alpha];
          if (split) {
            float hi, lo;
            detail::store_split(static_cast<float>(value), hi, lo, stage);
            u[u_index] = hi;
            u_lo[u_index] = lo;
          } else {
            u[u_index] = detail::store_value<Acc>(value, args.storage, stage);
          }
        }
      }
    });
    for (const auto& s : stats) result.filter_transform.merge(s);
  }

  // Several tiles per item so each U[e] is reused while in cache, while leaving several items per thread.
  const std::int64_t rows_for_width = std::max<std::int64_t>(1, (32 + tiles_w - 1) / tiles_w);
  const std::int64_t rows_for_balance = std::max<std::int64_t>(1, p.n * tiles_h / (4 * std::int64_t{args.threads}));
  const std::int64_t rows_per_item = std::min({rows_for_width, rows_for_balance, tiles_h});
  const std::int64_t items_per_image = (tiles_h + rows_per_item - 1) / rows_per_item;
  const std::int64_t max_tiles = rows_per_item * tiles_w;
  const std::int64_t items = p.n * items_per_image;
  const int workers = worker_count(items, args.threads);

  struct Scratch {
    std::vector<Acc> v, v_lo, m;
    StageStats input_stats, output_stats;
  };
  std::vector<Scratch> scratch(static_cast<std::size_t>(workers));

  parallel_for(items, workers, [&](std::int64_t item, int worker) {
    Scratch& s = scratch[static_cast<std::size_t>(worker)];
    if (s.v.empty()) {
      s.v.resize(static_cast<std::size_t>(kPositions * p.c * max_tiles));
      if (split) s.v_lo.resize(s.v.size());
      s.m.resize(static_cast<std::size_t>(kPositions * p.k * max_tiles));
    }
    const std::int64_t n = item / items_per_image;
    const std::int64_t first_row = (item % items_per_image) * rows_per_item;
    const std::int64_t tile_count = std::min(rows_per_item, tiles_h - first_row) * tiles_w;
    const T* image = args.input + n * in.n;

    // V = Bᵀ d B for every tile and channel.
    for (std::int64_t t = 0; t < tile_count; ++t) {
      const std::int64_t ih0 = (first_row + t / tiles_w) * kM - p.pad_h;
      const std::int64_t iw0 = (t % tiles_w) * kM - p.pad_w;
      for (std::int64_t c = 0; c < p.c; ++c) {
        const T* plane = image + c * in.c;
        Acc tile[Alpha][Alpha];
        for (int i = 0; i < Alpha; ++i) {
          const std::int64_t ih = ih0 + i;
          for (int j = 0; j < Alpha; ++j) {
            const std::int64_t iw = iw0 + j;
            tile[i][j] = (ih >= 0 && ih < p.h && iw >= 0 && iw < p.w) ? static_cast<Acc>(plane[ih * in.h + iw * in.w]) : Acc(0);
          }
        }
        Acc transformed[Alpha][Alpha];
        bt.apply(tile, transformed);
        for (int e = 0; e < kPositions; ++e) {
          const std::size_t index = static_cast<std::size_t>((e * p.c + c) * max_tiles + t);
          const Acc value = transformed[e / Alpha][e % Alpha];
          if (split) {
            float hi, lo;
            detail::store_split(static_cast<float>(value), hi, lo, s.input_stats);
            s.v[index] = hi;
            s.v_lo[index] = lo;
          } else {
            s.v[index] = detail::store_value<Acc>(value, args.storage, s.input_stats);
          }
        }
      }
    }

    // M[e] = V[e]ᵀ · U[e]  (tiles×C times C×K), one product per Winograd-domain position e. Output channels go in
    // blocks held in registers across the whole sum over c; every M value is still Σ_c in ascending c.
    for (int e = 0; e < kPositions; ++e) {
      const Acc* u_e = u.data() + static_cast<std::size_t>(e * p.c * p.k);
      const Acc* u_lo_e = split ? u_lo.data() + static_cast<std::size_t>(e * p.c * p.k) : nullptr;
      const Acc* v_e = s.v.data() + static_cast<std::size_t>(e * p.c * max_tiles);
      const Acc* v_lo_e = split ? s.v_lo.data() + static_cast<std::size_t>(e * p.c * max_tiles) : nullptr;
      for (std::int64_t t = 0; t < tile_count; ++t) {
        Acc* m_row = s.m.data() + (e * max_tiles + t) * p.k;
        for (std::int64_t k0 = 0; k0 < p.k; k0 += kChannelBlock) {
          if (k0 + kChannelBlock <= p.k) {
            accumulate_block<Acc, kChannelBlock>(split, u_e + k0, u_lo_e ? u_lo_e + k0 : nullptr, v_e + t, v_lo_e ? v_lo_e + t : nullptr,
                                                 p.c, p.k, max_tiles, m_row + k0);
          } else {
            for (std::int64_t k = k0; k < p.k; ++k) {
              accumulate_block<Acc, 1>(split, u_e + k, u_lo_e ? u_lo_e + k : nullptr, v_e + t, v_lo_e ? v_lo_e + t : nullptr, p.c,
                                       p.k, max_tiles, m_row + k);
            }
          }
        }
      }
    }

    // Y = Aᵀ M A, then bias, ReLU and the stored rounding; border tiles write only inside the output.
    for (std::int64_t t = 0; t < tile_count; ++t) {
      const std::int64_t oh0 = (first_row + t / tiles_w) * kM, ow0 = (t % tiles_w) * kM;
      const int rows = static_cast<int>(std::min<std::int64_t>(kM, out_h - oh0));
      const int cols = static_cast<int>(std::min<std::int64_t>(kM, out_w - ow0));
      for (std::int64_t k = 0; k < p.k; ++k) {
        const Acc* m_k = s.m.data() + t * p.k + k;
        const std::int64_t plane_stride = max_tiles * p.k;
        Acc m_tile[Alpha][Alpha];
        for (int e = 0; e < kPositions; ++e) m_tile[e / Alpha][e % Alpha] = m_k[e * plane_stride];
        Acc y[kM][kM];
        at.apply(m_tile, y);
        T* dst = args.output + n * out.n + k * out.c;
        const Acc bias = args.bias ? static_cast<Acc>(args.bias[k]) : Acc(0);
        for (int i = 0; i < rows; ++i) {
          for (int j = 0; j < cols; ++j) {
            Acc value = y[i][j];
            if (args.bias) value += bias;
            if (args.relu && value < 0) value = 0;  // NaN stays NaN
            dst[(oh0 + i) * out.h + (ow0 + j) * out.w] = static_cast<T>(detail::store_value<Acc>(value, args.storage, s.output_stats));
          }
        }
      }
    }
  });

  for (const auto& s : scratch) {
    result.input_transform.merge(s.input_stats);
    result.output.merge(s.output_stats);
  }
  return result;
}

}  // namespace

template <typename T, typename Acc>
ConvStats conv2d_winograd(const ConvArgs<T>& args) {
  switch (args.matrices.m) {
    case 2: return winograd<T, Acc, 4>(args);
    case 3: return winograd<T, Acc, 5>(args);
    case 4: return winograd<T, Acc, 6>(args);
    case 5: return winograd<T, Acc, 7>(args);
    case 6: return winograd<T, Acc, 8>(args);
    case 7: return winograd<T, Acc, 9>(args);
    case 8: return winograd<T, Acc, 10>(args);
    default: throw std::invalid_argument("Winograd F(m,3) needs m between 2 and 8");
  }
}

template ConvStats conv2d_winograd<float, float>(const ConvArgs<float>&);
template ConvStats conv2d_winograd<double, double>(const ConvArgs<double>&);
template ConvStats conv2d_winograd<double, float>(const ConvArgs<double>&);

}  // namespace nova::cpu
