// Elementwise and data-movement kernels of the graph executor (see graph_kernels.hpp). Memory-bound: the wide
// variants move 8 fp16 values (16 bytes) per thread when every channel count and offset is a multiple of 8, which
// holds for every ESRGAN tensor except the 3-channel image edges, where the scalar variants run.
#include "graph_kernels.hpp"

#include <algorithm>
#include <cstdint>

namespace nova {
namespace {

constexpr int kThreads = 256;
constexpr size_t kMaxBlocks = 8192;  // grid-stride loops cover the rest

unsigned blocks_for(size_t work) {
  return static_cast<unsigned>(std::min(kMaxBlocks, std::max<size_t>(1, (work + kThreads - 1) / kThreads)));
}

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

struct alignas(16) Half8 {
  __half v[8];
};

__global__ void copy_channels_wide(const Half8* src, int src_c8, Half8* dst, int dst_c8, int offset8, size_t count) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count; i += size_t(gridDim.x) * blockDim.x) {
    const size_t p = i / src_c8;
    const size_t j = i - p * src_c8;
    dst[p * dst_c8 + offset8 + j] = src[i];
  }
}

__global__ void copy_channels_scalar(const __half* src, int src_c, __half* dst, int dst_c, int offset, size_t count) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count; i += size_t(gridDim.x) * blockDim.x) {
    const size_t p = i / src_c;
    const size_t j = i - p * src_c;
    dst[p * dst_c + offset + j] = src[i];
  }
}

__global__ void add_wide(const Half8* a, const Half8* b, float scale_b, Half8* y, size_t count) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count; i += size_t(gridDim.x) * blockDim.x) {
    const Half8 x = a[i];
    const Half8 z = b[i];
    Half8 out;
#pragma unroll
    for (int e = 0; e < 8; ++e) out.v[e] = __float2half_rn(__half2float(x.v[e]) + scale_b * __half2float(z.v[e]));
    y[i] = out;
  }
}

__global__ void add_scalar(const __half* a, const __half* b, float scale_b, __half* y, size_t count) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count; i += size_t(gridDim.x) * blockDim.x) {
    y[i] = __float2half_rn(__half2float(a[i]) + scale_b * __half2float(b[i]));
  }
}

// y = x > 0 ? factor·x : slope·x; scale is (factor, slope) = (f, f), activation is (1, slope).
__global__ void affine_scalar(const __half* x, float positive, float negative, __half* y, size_t count) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count; i += size_t(gridDim.x) * blockDim.x) {
    const float v = __half2float(x[i]);
    y[i] = __float2half_rn(v > 0.f ? positive * v : negative * v);
  }
}

__global__ void depth_to_space(const __half* x, int h, int w, int in_c, int block, __half* y, size_t count) {
  const int out_c = in_c / (block * block);
  const int out_w = w * block;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count; i += size_t(gridDim.x) * blockDim.x) {
    const int c = static_cast<int>(i % out_c);
    const size_t pixel = i / out_c;
    const int ox = static_cast<int>(pixel % out_w);
    const int oy = static_cast<int>(pixel / out_w);
    const int sy = oy / block, sx = ox / block;
    const int di = oy - sy * block, dj = ox - sx * block;
    y[i] = x[(size_t(sy) * w + sx) * in_c + (di * block + dj) * out_c + c];
  }
}

__global__ void fp32_to_fp16(const float* x, __half* y, size_t count) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count; i += size_t(gridDim.x) * blockDim.x) {
    y[i] = __float2half_rn(x[i]);
  }
}

__global__ void fp16_to_fp32(const __half* x, float* y, size_t count) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < count; i += size_t(gridDim.x) * blockDim.x) {
    y[i] = __half2float(x[i]);
  }
}

hipError_t launched() { return hipGetLastError(); }

}  // namespace

hipError_t graph_copy_channels_fp16(const void* src, int src_c, void* dst, int dst_c, int offset, size_t pixels,
                                    hipStream_t stream) {
  if (src_c <= 0 || dst_c < src_c || offset < 0 || offset + src_c > dst_c) return hipErrorInvalidValue;
  if (pixels == 0) return hipSuccess;
  if (src_c % 8 == 0 && dst_c % 8 == 0 && offset % 8 == 0 && aligned16(src) && aligned16(dst)) {
    const size_t count = pixels * (src_c / 8);
    copy_channels_wide<<<blocks_for(count), kThreads, 0, stream>>>(static_cast<const Half8*>(src), src_c / 8,
                                                                  static_cast<Half8*>(dst), dst_c / 8, offset / 8, count);
  } else {
    const size_t count = pixels * src_c;
    copy_channels_scalar<<<blocks_for(count), kThreads, 0, stream>>>(static_cast<const __half*>(src), src_c,
                                                                    static_cast<__half*>(dst), dst_c, offset, count);
  }
  return launched();
}

hipError_t graph_add_fp16(const void* a, const void* b, float scale_b, void* y, size_t count, hipStream_t stream) {
  if (count == 0) return hipSuccess;
  if (count % 8 == 0 && aligned16(a) && aligned16(b) && aligned16(y)) {
    add_wide<<<blocks_for(count / 8), kThreads, 0, stream>>>(static_cast<const Half8*>(a), static_cast<const Half8*>(b),
                                                            scale_b, static_cast<Half8*>(y), count / 8);
  } else {
    add_scalar<<<blocks_for(count), kThreads, 0, stream>>>(static_cast<const __half*>(a), static_cast<const __half*>(b),
                                                          scale_b, static_cast<__half*>(y), count);
  }
  return launched();
}

hipError_t graph_scale_fp16(const void* x, float factor, void* y, size_t count, hipStream_t stream) {
  if (count == 0) return hipSuccess;
  affine_scalar<<<blocks_for(count), kThreads, 0, stream>>>(static_cast<const __half*>(x), factor, factor,
                                                           static_cast<__half*>(y), count);
  return launched();
}

hipError_t graph_activation_fp16(const void* x, float negative_slope, void* y, size_t count, hipStream_t stream) {
  if (count == 0) return hipSuccess;
  affine_scalar<<<blocks_for(count), kThreads, 0, stream>>>(static_cast<const __half*>(x), 1.f, negative_slope,
                                                           static_cast<__half*>(y), count);
  return launched();
}

hipError_t graph_depth_to_space_fp16(const void* x, int h, int w, int in_c, int block, void* y, hipStream_t stream) {
  if (h <= 0 || w <= 0 || block <= 0 || in_c % (block * block) != 0) return hipErrorInvalidValue;
  const size_t count = size_t(h) * w * in_c;
  depth_to_space<<<blocks_for(count), kThreads, 0, stream>>>(static_cast<const __half*>(x), h, w, in_c, block,
                                                            static_cast<__half*>(y), count);
  return launched();
}

hipError_t graph_fp32_to_fp16(const float* x, void* y, size_t count, hipStream_t stream) {
  if (count == 0) return hipSuccess;
  fp32_to_fp16<<<blocks_for(count), kThreads, 0, stream>>>(x, static_cast<__half*>(y), count);
  return launched();
}

hipError_t graph_fp16_to_fp32(const void* x, float* y, size_t count, hipStream_t stream) {
  if (count == 0) return hipSuccess;
  fp16_to_fp32<<<blocks_for(count), kThreads, 0, stream>>>(static_cast<const __half*>(x), y, count);
  return launched();
}

}  // namespace nova
