// Direct convolution (any stride, dilation, padding, window, channel count) and NCHW ↔ NHWC conversion.
// The direct kernel is the answer for every shape Winograd does not take; correctness first, then a plain
// implicit matrix product on the matrix units (no pipelining).
#include "launch.hpp"

#include <cstdint>

#include "../mma/mma.hpp"

namespace nova {
namespace {

constexpr int kBlock = 256;
constexpr int64_t kMaxBlocks = 1 << 20;  // grid-stride loops cover any size with a bounded grid

unsigned blocks_for(int64_t items) {
  const int64_t blocks = (items + kBlock - 1) / kBlock;
  return static_cast<unsigned>(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

// Direct convolution as an implicit matrix product on the matrix units: rows are output pixels (n, p, q), columns
// output channels, the reduction runs over (r, s, c) in steps of 16 channels. A block computes 64 pixels × 64
// channels with 4 warps of 32 × 32; operands are gathered (with padding, stride, dilation and channel bounds
// applied) into shared memory, fp32 accumulation, one rounding to fp16 at the store.
namespace direct {

constexpr int kPixels = 64, kChannels = 64, kStep = 16, kWarps = 4;
constexpr int kThreads = kWarps * kWarpSize;
constexpr int kLd = kStep + 8;            // halves per staged row: conflict-free fragment loads, 16-byte aligned
constexpr int kOutLd = kChannels + 4;     // floats per pixel row of the output staging

struct SharedStorage {
  union {
    struct {
      __half input[kPixels][kLd];     // A: (pixel, channel)
      __half filter[kChannels][kLd];  // B stored (output channel, channel)
    } main_loop;
    float output[kPixels][kOutLd];
  };
};

__global__ void __launch_bounds__(kThreads) conv2d_fp16_nhwc(const __half* x, const __half* filter, const __half* bias,
                                                              __half* y, ConvShape s, bool relu) {
  __shared__ __align__(16) SharedStorage shared;
  const int64_t pixels = static_cast<int64_t>(s.n) * s.out_h * s.out_w;
  const int64_t pixel0 = static_cast<int64_t>(blockIdx.x) * kPixels;
  const int k0 = static_cast<int>(blockIdx.y) * kChannels;
  const int warp = static_cast<int>(threadIdx.x) / kWarpSize;
  const int warp_row = (warp / 2) * 32, warp_col = (warp % 2) * 32;

  mma::FragD acc[2][2];
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) mma::zero(acc[i][j]);

  for (int r = 0; r < s.r; ++r)
    for (int t = 0; t < s.s; ++t)
      for (int c0 = 0; c0 < s.c; c0 += kStep) {
        // Gather: each item is (row, 8 channels) of the input or of the filter tile.
        for (int item = threadIdx.x; item < 2 * 2 * kPixels; item += kThreads) {
          const bool is_filter = item >= 2 * kPixels;
          const int row = (item % (2 * kPixels)) / 2, c_first = c0 + (item % 2) * 8;
          const __half* src = nullptr;
          if (is_filter) {
            const int k = k0 + row;
            if (k < s.k) src = filter + ((static_cast<int64_t>(k) * s.r + r) * s.s + t) * s.c;
          } else if (pixel0 + row < pixels) {
            const int64_t pixel = pixel0 + row;
            const int q = static_cast<int>(pixel % s.out_w);
            const int p = static_cast<int>(pixel / s.out_w % s.out_h);
            const int64_t n = pixel / (static_cast<int64_t>(s.out_w) * s.out_h);
            const int ih = p * s.stride_h - s.pad_h + r * s.dil_h, iw = q * s.stride_w - s.pad_w + t * s.dil_w;
            if (ih >= 0 && ih < s.h && iw >= 0 && iw < s.w) src = x + ((n * s.h + ih) * s.w + iw) * s.c;
          }
          __half* dst = is_filter ? &shared.main_loop.filter[row][c_first - c0] : &shared.main_loop.input[row][c_first - c0];
#pragma unroll
          for (int j = 0; j < 8; ++j)
            dst[j] = src && c_first + j < s.c ? src[c_first + j] : __float2half_rn(0.0f);
        }
        __syncthreads();
#pragma unroll
        for (int i = 0; i < 2; ++i) {
          mma::FragA a;
          mma::load_a(a, &shared.main_loop.input[warp_row + 16 * i][0], kLd);
#pragma unroll
          for (int j = 0; j < 2; ++j) {
            mma::FragB b;
            mma::load_b(b, &shared.main_loop.filter[warp_col + 16 * j][0], kLd);
            mma::mma(acc[i][j], a, b);
          }
        }
        __syncthreads();
      }

  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      mma::store_d(acc[i][j], &shared.output[warp_row + 16 * i][warp_col + 16 * j], kOutLd, 1);
  __syncthreads();
  // Output channels fastest across threads: contiguous stores.
  for (int item = threadIdx.x; item < kPixels * kChannels; item += kThreads) {
    const int row = item / kChannels, col = item % kChannels;
    const int64_t pixel = pixel0 + row;
    const int k = k0 + col;
    if (pixel >= pixels || k >= s.k) continue;
    float sum = shared.output[row][col];
    if (bias) sum += __half2float(bias[k]);
    if (relu) sum = sum < 0.0f ? 0.0f : sum;  // keeps NaN
    y[pixel * s.k + k] = __float2half_rn(sum);
  }
}

}  // namespace direct

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
  const int64_t pixels = static_cast<int64_t>(shape.n) * shape.out_h * shape.out_w;
  const int64_t pixel_blocks = (pixels + direct::kPixels - 1) / direct::kPixels;
  const int64_t k_blocks = (shape.k + direct::kChannels - 1) / direct::kChannels;
  if (pixel_blocks > 0x7fffffff || k_blocks > 65535) return hipErrorInvalidValue;
  direct::conv2d_fp16_nhwc<<<dim3(static_cast<unsigned>(pixel_blocks), static_cast<unsigned>(k_blocks)), direct::kThreads,
                             0, stream>>>(static_cast<const __half*>(x), static_cast<const __half*>(filter_krsc),
                                          static_cast<const __half*>(bias_or_null), static_cast<__half*>(y), shape, relu);
  return hipGetLastError();
}

hipError_t nchw_to_nhwc_fp16(const void* src, void* dst, int n, int c, int h, int w, hipStream_t stream) {
  return convert(src, dst, n, c, h, w, true, stream);
}

hipError_t nhwc_to_nchw_fp16(const void* src, void* dst, int n, int c, int h, int w, hipStream_t stream) {
  return convert(src, dst, n, c, h, w, false, stream);
}

}  // namespace nova
