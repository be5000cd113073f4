// Direct convolution (any stride, dilation, padding, window, channel count) and NCHW ↔ NHWC conversion.
// Correctness first: the direct kernel is the answer for every shape Winograd does not take, not a fast path.
#include "launch.hpp"

#include <cstdint>

namespace nova {
namespace {

constexpr int kBlock = 256;
constexpr int64_t kMaxBlocks = 1 << 20;  // grid-stride loops cover any size with a bounded grid

unsigned blocks_for(int64_t items) {
  const int64_t blocks = (items + kBlock - 1) / kBlock;
  return static_cast<unsigned>(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

// One thread per output element, k fastest so a warp's stores are contiguous and its input reads are shared.
// fp32 accumulation over (r, s, c); the one rounding to fp16 is at the store.
__global__ void direct_conv2d_fp16_nhwc_kernel(const __half* x, const __half* filter, const __half* bias, __half* y,
                                               ConvShape s, bool relu) {
  const int64_t total = static_cast<int64_t>(s.n) * s.out_h * s.out_w * s.k;
  for (int64_t index = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; index < total;
       index += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int k = static_cast<int>(index % s.k);
    int64_t rest = index / s.k;
    const int q = static_cast<int>(rest % s.out_w);
    rest /= s.out_w;
    const int p = static_cast<int>(rest % s.out_h);
    const int n = static_cast<int>(rest / s.out_h);
    float sum = 0.0f;
    for (int r = 0; r < s.r; ++r) {
      const int ih = p * s.stride_h - s.pad_h + r * s.dil_h;
      if (ih < 0 || ih >= s.h) continue;
      for (int t = 0; t < s.s; ++t) {
        const int iw = q * s.stride_w - s.pad_w + t * s.dil_w;
        if (iw < 0 || iw >= s.w) continue;
        const __half* in = x + ((static_cast<int64_t>(n) * s.h + ih) * s.w + iw) * s.c;
        const __half* f = filter + ((static_cast<int64_t>(k) * s.r + r) * s.s + t) * s.c;
        for (int c = 0; c < s.c; ++c) sum = fmaf(__half2float(in[c]), __half2float(f[c]), sum);
      }
    }
    if (bias) sum += __half2float(bias[k]);
    if (relu) sum = sum < 0.0f ? 0.0f : sum;  // keeps NaN
    y[index] = __float2half_rn(sum);
  }
}

// dst[n][h][w][c] = src[n][c][h][w] when to_nhwc, the inverse otherwise; indexed by the destination.
__global__ void convert_layout_fp16(const __half* src, __half* dst, int n, int c, int h, int w, bool to_nhwc) {
  const int64_t total = static_cast<int64_t>(n) * c * h * w;
  const int64_t plane = static_cast<int64_t>(h) * w;
  for (int64_t index = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; index < total;
       index += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t nhwc_index, nchw_index;
    if (to_nhwc) {
      nhwc_index = index;
      const int ch = static_cast<int>(index % c);
      const int64_t pixel = index / c;  // n·h·w + y·w + x
      nchw_index = (pixel / plane * c + ch) * plane + pixel % plane;
    } else {
      nchw_index = index;
      const int64_t hw = index % plane;
      const int64_t nc = index / plane;
      nhwc_index = ((nc / c) * plane + hw) * c + nc % c;
    }
    if (to_nhwc)
      dst[nhwc_index] = src[nchw_index];
    else
      dst[nchw_index] = src[nhwc_index];
  }
}

hipError_t convert(const void* src, void* dst, int n, int c, int h, int w, bool to_nhwc, hipStream_t stream) {
  if (!src || !dst || n < 0 || c < 0 || h < 0 || w < 0) return hipErrorInvalidValue;
  const int64_t total = static_cast<int64_t>(n) * c * h * w;
  if (total == 0) return hipSuccess;
  convert_layout_fp16<<<blocks_for(total), kBlock, 0, stream>>>(static_cast<const __half*>(src),
                                                                 static_cast<__half*>(dst), n, c, h, w, to_nhwc);
  return hipGetLastError();
}

}  // namespace

const char* direct_can_implement(const ConvShape& s) {
  if (s.n < 1 || s.c < 1 || s.h < 1 || s.w < 1 || s.k < 1 || s.r < 1 || s.s < 1) return "sizes must be positive";
  if (s.stride_h < 1 || s.stride_w < 1 || s.dil_h < 1 || s.dil_w < 1) return "stride and dilation must be positive";
  if (s.pad_h < 0 || s.pad_w < 0) return "padding must not be negative";
  if (s.out_h != conv_out_size(s.h, s.r, s.pad_h, s.stride_h, s.dil_h) ||
      s.out_w != conv_out_size(s.w, s.s, s.pad_w, s.stride_w, s.dil_w))
    return "out_h/out_w disagree with the shape";
  if (s.out_h < 1 || s.out_w < 1) return "output is empty";
  return nullptr;
}

hipError_t direct_conv2d_fp16_nhwc(const void* x, const void* filter_krsc, const void* bias_or_null, void* y,
                                   const ConvShape& shape, bool relu, hipStream_t stream) {
  if (direct_can_implement(shape) != nullptr || !x || !filter_krsc || !y) return hipErrorInvalidValue;
  const int64_t total = static_cast<int64_t>(shape.n) * shape.out_h * shape.out_w * shape.k;
  direct_conv2d_fp16_nhwc_kernel<<<blocks_for(total), kBlock, 0, stream>>>(
      static_cast<const __half*>(x), static_cast<const __half*>(filter_krsc), static_cast<const __half*>(bias_or_null),
      static_cast<__half*>(y), shape, relu);
  return hipGetLastError();
}

hipError_t nchw_to_nhwc_fp16(const void* src, void* dst, int n, int c, int h, int w, hipStream_t stream) {
  return convert(src, dst, n, c, h, w, true, stream);
}

hipError_t nhwc_to_nchw_fp16(const void* src, void* dst, int n, int c, int h, int w, hipStream_t stream) {
  return convert(src, dst, n, c, h, w, false, stream);
}

}  // namespace nova
