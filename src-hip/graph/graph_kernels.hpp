// Host entry points of the graph executor's small kernels: the non-convolution nodes of a network (channel
// concatenation, residual add, constant scale, activation, depth-to-space) and fp32 ⇄ fp16 conversion at the
// graph's edges. All tensors are NHWC fp16 of batch 1; arithmetic is fp32 with one rounding to fp16 per output.
// Like the conv launchers: plain C++, each call only enqueues on `stream` and returns the runtime's status.
#pragma once

#include <cstddef>

#include "../compat/hip_compat.hpp"

namespace nova {

// dst[p, offset + j] = src[p, j] for p < pixels, j < src_c; dst has dst_c channels (a slice of a concatenation).
hipError_t graph_copy_channels_fp16(const void* src, int src_c, void* dst, int dst_c, int offset, size_t pixels,
                                    hipStream_t stream);

// y = a + scale_b · b, elementwise over count values (the residual add, with ESRGAN's 0.2 residual scale fused).
hipError_t graph_add_fp16(const void* a, const void* b, float scale_b, void* y, size_t count, hipStream_t stream);

// y = factor · x.
hipError_t graph_scale_fp16(const void* x, float factor, void* y, size_t count, hipStream_t stream);

// y = x > 0 ? x : negative_slope · x (ReLU when negative_slope is 0). Only for activations no conv absorbed.
hipError_t graph_activation_fp16(const void* x, float negative_slope, void* y, size_t count, hipStream_t stream);

// TensorFlow depth_to_space, NHWC, DCR order: y[Y·b+i, X·b+j, c] = x[Y, X, (i·b + j)·(in_c / b²) + c].
hipError_t graph_depth_to_space_fp16(const void* x, int h, int w, int in_c, int block, void* y, hipStream_t stream);

// Round-to-nearest-even conversions of count values.
hipError_t graph_fp32_to_fp16(const float* x, void* y, size_t count, hipStream_t stream);
hipError_t graph_fp16_to_fp32(const void* x, float* y, size_t count, hipStream_t stream);

}  // namespace nova
