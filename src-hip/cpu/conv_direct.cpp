// Direct 2-D convolution (any size, padding, stride, dilation): the float64 reference and the fp32 / fp16-output
// paths. One work item is one output row of one image; the filter is repacked so the innermost loop runs over
// output channels contiguously.
#include <algorithm>
#include <vector>

#include "conv_paths.hpp"
#include "detail.hpp"
#include "parallel.hpp"

namespace nova::cpu {

template <typename T, typename Acc>
ConvStats conv2d_direct(const ConvArgs<T>& args) {
  const ConvShape& p = args.shape;
  const std::int64_t out_h = p.out_h(), out_w = p.out_w();
  const detail::ActivationStrides in(args.layout, p.c, p.h, p.w);
  const detail::ActivationStrides out(args.layout, p.k, out_h, out_w);

  // [r][s][c][k] so that one input value meets K contiguous filter values.
  std::vector<Acc> filter(static_cast<std::size_t>(p.r * p.s * p.c * p.k));
  for (std::int64_t k = 0; k < p.k; ++k)
    for (std::int64_t c = 0; c < p.c; ++c)
      for (std::int64_t r = 0; r < p.r; ++r)
        for (std::int64_t s = 0; s < p.s; ++s)
          filter[((r * p.s + s) * p.c + c) * p.k + k] = static_cast<Acc>(args.filter[((k * p.c + c) * p.r + r) * p.s + s]);

  const std::int64_t items = p.n * out_h;
  const int workers = worker_count(items, args.threads);
  std::vector<StageStats> stats(static_cast<std::size_t>(workers));
  std::vector<std::vector<Acc>> sums(static_cast<std::size_t>(workers), std::vector<Acc>(static_cast<std::size_t>(p.k)));

  parallel_for(items, workers, [&](std::int64_t item, int worker) {
    const std::int64_t n = item / out_h, oh = item % out_h;
    Acc* sum = sums[static_cast<std::size_t>(worker)].data();
    StageStats& stage = stats[static_cast<std::size_t>(worker)];
    const T* image = args.input + n * in.n;
    for (std::int64_t ow = 0; ow < out_w; ++ow) {
      std::fill(sum, sum + p.k, Acc(0));
      for (std::int64_t r = 0; r < p.r; ++r) {
        const std::int64_t ih = oh * p.stride_h - p.pad_h + r * p.dilation_h;
        if (ih < 0 || ih >= p.h) continue;
        for (std::int64_t s = 0; s < p.s; ++s) {
          const std::int64_t iw = ow * p.stride_w - p.pad_w + s * p.dilation_w;
          if (iw < 0 || iw >= p.w) continue;
          const T* pixel = image + ih * in.h + iw * in.w;
          const Acc* taps = filter.data() + (r * p.s + s) * p.c * p.k;
          for (std::int64_t c = 0; c < p.c; ++c) {
            const Acc x = static_cast<Acc>(pixel[c * in.c]);
            const Acc* tap = taps + c * p.k;
            for (std::int64_t k = 0; k < p.k; ++k) sum[k] += x * tap[k];
          }
        }
      }
      T* dst = args.output + n * out.n + oh * out.h + ow * out.w;
      for (std::int64_t k = 0; k < p.k; ++k) {
        Acc value = sum[k];
        if (args.bias) value += static_cast<Acc>(args.bias[k]);
        if (args.relu && value < 0) value = 0;  // NaN stays NaN
        dst[k * out.c] = static_cast<T>(detail::store_value<Acc>(value, args.storage, stage));
      }
    }
  });

  ConvStats result;
  for (const auto& s : stats) result.output.merge(s);
  return result;
}

template ConvStats conv2d_direct<float, float>(const ConvArgs<float>&);
template ConvStats conv2d_direct<double, double>(const ConvArgs<double>&);
template ConvStats conv2d_direct<double, float>(const ConvArgs<double>&);

}  // namespace nova::cpu
