// Winograd F(m,3) convolution on the CPU: Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A per m×m output tile, stride 1,
// dilation 1, any padding; border tiles read zeros outside the input and write only inside the output.
//
// Filters are transformed once per call (U, laid out [α²][K][C]). A work item is a block of tile rows of one
// image: its tiles' V (laid out [α²][C][tiles]) feed α² small products M = U·V, then Y = AᵀMA per tile. Each
// output value is computed by the same sequence of operations whatever the blocking or thread count, so results
// are bit-identical across runs and thread counts.
#include <algorithm>
#include <stdexcept>
#include <vector>

#include "conv_paths.hpp"
#include "detail.hpp"
#include "parallel.hpp"

namespace nova::cpu {
namespace {

/** A matrix kept as its nonzero entries per row: skipping zero coefficients keeps 0·Inf out of the transforms, as
 *  kernels with the constants folded in do, and saves work (the transforms are sparse). */
template <typename Acc, int Cols>
struct SparseRows {
  struct Row {
    int count = 0;
    int col[Cols];
    Acc value[Cols];
  };
  std::vector<Row> rows;

  SparseRows(const std::vector<double>& dense, int row_count) : rows(static_cast<std::size_t>(row_count)) {
    for (int i = 0; i < row_count; ++i) {
      Row& row = rows[static_cast<std::size_t>(i)];
      for (int j = 0; j < Cols; ++j) {
        const double v = dense[static_cast<std::size_t>(i * Cols + j)];
        if (v == 0) continue;
        row.col[row.count] = j;
        row.value[row.count] = static_cast<Acc>(v);
        ++row.count;
      }
    }
  }
  const Row& operator[](int i) const { return rows[static_cast<std::size_t>(i)]; }
};

/** out = L·X·Lᵀ for X (Inner×Inner) and L given by its sparse rows (Outer×Inner). */
template <typename Acc, int Outer, int Inner, typename Rows, typename Get>
inline void sandwich(const Rows& left, Get x, Acc (&out)[Outer][Outer]) {
  Acc half[Outer][Inner];
  for (int i = 0; i < Outer; ++i) {
    const auto& row = left[i];
    for (int j = 0; j < Inner; ++j) {
      Acc sum = 0;
      for (int e = 0; e < row.count; ++e) sum += row.value[e] * x(row.col[e], j);
      half[i][j] = sum;
    }
  }
  for (int j = 0; j < Outer; ++j) {
    const auto& row = left[j];
    for (int i = 0; i < Outer; ++i) {
      Acc sum = 0;
      for (int e = 0; e < row.count; ++e) sum += half[i][row.col[e]] * row.value[e];
      out[i][j] = sum;
    }
  }
}

template <typename T, typename Acc, int Alpha>
ConvStats winograd(const ConvArgs<T>& args) {
  constexpr int kM = Alpha - 2;
  constexpr int kTiles = Alpha * Alpha;
  const ConvShape& p = args.shape;
  const std::int64_t out_h = p.out_h(), out_w = p.out_w();
  const std::int64_t tiles_h = (out_h + kM - 1) / kM, tiles_w = (out_w + kM - 1) / kM;
  const detail::ActivationStrides in(args.layout, p.c, p.h, p.w);
  const detail::ActivationStrides out(args.layout, p.k, out_h, out_w);
  const bool split = args.storage == Storage::kCompensated;

  const SparseRows<Acc, Alpha> bt(args.matrices.bt, Alpha);
  const SparseRows<Acc, 3> g(args.matrices.g, Alpha);
  const SparseRows<Acc, Alpha> at(args.matrices.at, kM);

  ConvStats result;

  // U = G g Gᵀ, [α²][K][C]; with compensated storage u_lo holds the residuals.
  const std::size_t filter_values = static_cast<std::size_t>(kTiles * p.k * p.c);
  std::vector<Acc> u(filter_values), u_lo(split ? filter_values : 0);
  {
    const int workers = worker_count(p.k, args.threads);
    std::vector<StageStats> stats(static_cast<std::size_t>(workers));
    parallel_for(p.k, workers, [&](std::int64_t k, int worker) {
      StageStats& stage = stats[static_cast<std::size_t>(worker)];
      for (std::int64_t c = 0; c < p.c; ++c) {
        const T* taps = args.filter + (k * p.c + c) * 9;
        Acc transformed[Alpha][Alpha];
        sandwich<Acc, Alpha, 3>(g, [&](int i, int j) { return static_cast<Acc>(taps[i * 3 + j]); }, transformed);
        for (int e = 0; e < kTiles; ++e) {
          const std::size_t at_index = static_cast<std::size_t>((e * p.k + k) * p.c + c);
          const Acc value = transformed[e / Alpha][e % Alpha];
          if (split) {
            float hi, lo;
            detail::store_split(static_cast<float>(value), hi, lo, stage);
            u[at_index] = hi;
            u_lo[at_index] = lo;
          } else {
            u[at_index] = detail::store_value<Acc>(value, args.storage, stage);
          }
        }
      }
    });
    for (const auto& s : stats) result.filter_transform.merge(s);
  }

  // Enough tiles per item for the α² products to vectorise, while leaving several items per thread.
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
      s.v.resize(static_cast<std::size_t>(kTiles * p.c * max_tiles));
      if (split) s.v_lo.resize(s.v.size());
      s.m.resize(static_cast<std::size_t>(kTiles * p.k * max_tiles));
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
        sandwich<Acc, Alpha, Alpha>(bt, [&](int i, int j) { return tile[i][j]; }, transformed);
        for (int e = 0; e < kTiles; ++e) {
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

    // M[e] = U[e] · V[e]  (K×C times C×tiles), one product per Winograd-domain position e.
    for (int e = 0; e < kTiles; ++e) {
      for (std::int64_t k = 0; k < p.k; ++k) {
        Acc* m_row = s.m.data() + (e * p.k + k) * max_tiles;
        std::fill(m_row, m_row + tile_count, Acc(0));
        const std::size_t u_row = static_cast<std::size_t>((e * p.k + k) * p.c);
        for (std::int64_t c = 0; c < p.c; ++c) {
          const std::size_t v_row = static_cast<std::size_t>((e * p.c + c) * max_tiles);
          const Acc u_hi = u[u_row + c];
          const Acc* v_hi = s.v.data() + v_row;
          if (split) {
            // Three products accumulated in turn, as three fp16 MMAs into one fp32 accumulator would.
            const Acc u_res = u_lo[u_row + c];
            const Acc* v_res = s.v_lo.data() + v_row;
            for (std::int64_t t = 0; t < tile_count; ++t) {
              m_row[t] += u_hi * v_hi[t];
              m_row[t] += u_hi * v_res[t];
              m_row[t] += u_res * v_hi[t];
            }
          } else {
            for (std::int64_t t = 0; t < tile_count; ++t) m_row[t] += u_hi * v_hi[t];
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
        const Acc* m_k = s.m.data() + k * max_tiles + t;
        const std::int64_t plane_stride = p.k * max_tiles;
        Acc y[kM][kM];
        sandwich<Acc, kM, Alpha>(at, [&](int i, int j) { return m_k[(i * Alpha + j) * plane_stride]; }, y);
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
