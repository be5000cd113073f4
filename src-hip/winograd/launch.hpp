// Host entry points of the fused Winograd F(m,3) convolution: plain C++, no kernel code. Every function only
// enqueues work on `stream` and returns the runtime's status; none synchronizes, throws or aborts.
//
// Use: check wino_can_implement, allocate wino_filter_bytes for the transformed filter U, run
// wino_transform_filter once per weight, then wino_conv2d_fp16_nhwc for every input.
#pragma once

#include <cstddef>

#include "../direct/launch.hpp"

namespace nova {

// nullptr when the fused F(m,3) kernel can run the shape, else why not (m not built, not 3×3, stride or
// dilation ≠ 1, padding > 2, …). m ∈ {2, 4, 6}; m = 8 is refused with the measured reason.
const char* wino_can_implement(const ConvShape& shape, int m);

// The tile size our kernels run fastest for this shape (a measured rule, see bench/NOTES.md); the caller still
// checks wino_can_implement and may prefer another m for accuracy.
int wino_preferred_m(const ConvShape& shape);

// Bytes of the transformed filter U for (k, c, m): α²·K·C fp16 values (rounded up to the kernel's channel
// blocking), twice that when compensated (fp16 hi + fp16 lo). The layout inside is private to the kernel.
size_t wino_filter_bytes(const ConvShape& shape, int m, bool compensated);

// U = G g Gᵀ for every (k, c), computed in fp32 and stored fp16 (hi/lo when compensated), from the raw KRSC fp16
// filter. u_out must hold wino_filter_bytes(shape, m, compensated) bytes; it depends only on k, c and m.
hipError_t wino_transform_filter(const void* filter_krsc_fp16, void* u_out, const ConvShape& shape, int m,
                                 bool compensated, hipStream_t stream);

// Fused forward: y = act(bias + Aᵀ[Σ_c U ⊙ BᵀdB]A) in one launch per batch chunk. x, y NHWC fp16; u from
// wino_transform_filter with the same (shape.k, shape.c, m, compensated); bias K fp16 or null.
// Returns hipErrorInvalidValue if wino_can_implement fails.
hipError_t wino_conv2d_fp16_nhwc(const void* x, const void* u, const void* bias_fp16_or_null, void* y,
                                 const ConvShape& shape, int m, bool relu, bool compensated, hipStream_t stream);

// Where the fused kernel gets its filter: U pre-transformed once by wino_transform_filter (read by every block
// tile of output pixels), or the raw KRSC weights, which each block transforms in shared memory per step.
enum class WinoFilterMode { kPretransformed, kInKernel };

// nullptr when F(m,3) can run the shape with in-kernel filters (m = 2 or 4, C % 8 == 0, not compensated), else why not.
const char* wino_in_kernel_filter_can_implement(const ConvShape& shape, int m, bool compensated);

// The filter mode our kernels run fastest for this shape (a measured rule, see bench/NOTES.md); pre-transformed
// wherever in-kernel filters cannot run.
WinoFilterMode wino_preferred_filter_mode(const ConvShape& shape, int m, bool compensated);

// Fused forward with in-kernel filters: like wino_conv2d_fp16_nhwc, reading the raw KRSC fp16 filter (16-byte
// aligned, as x). Returns hipErrorInvalidValue if wino_in_kernel_filter_can_implement fails or a pointer is
// misaligned.
hipError_t wino_conv2d_fp16_nhwc_in_kernel_filter(const void* x, const void* filter_krsc_fp16, const void* bias_fp16_or_null,
                                                  void* y, const ConvShape& shape, int m, bool relu, hipStream_t stream);

// For benchmarks and tests: run every later fused launch with this channel split (1, 2, 4 or 8 blocks per
// cluster, where the device has clusters and the layer has that many channel steps); anything else restores the
// measured choice. Process-wide.
void wino_force_c_split(int split);

}  // namespace nova
