// Host entry points of the direct convolution and the layout conversions: plain C++, no kernel code, so the
// N-API addon and the C++ test driver call them alike. Every function only enqueues work on `stream` and returns
// the runtime's status (launch errors included); none synchronizes, throws or aborts.
#pragma once

#include <cstddef>

#include "../compat/hip_compat.hpp"

namespace nova {

// One 2-D cross-correlation, fully resolved (the same fields as ConvProblem in src-ts/backends/backend.ts).
// Activations are NHWC fp16, filters KRSC fp16, bias K fp16; out_h/out_w must equal conv_out_size(...).
struct ConvShape {
  int n, c, h, w;         // input
  int k, r, s;            // filter: k output channels, r×s window
  int pad_h, pad_w;       // symmetric zero padding
  int stride_h, stride_w;
  int dil_h, dil_w;       // dilation
  int out_h, out_w;
};

inline int conv_out_size(int in, int window, int pad, int stride, int dilation) {
  return (in + 2 * pad - dilation * (window - 1) - 1) / stride + 1;
}

// Fills out_h/out_w from the other fields.
inline ConvShape make_conv_shape(int n, int c, int h, int w, int k, int r, int s, int pad_h, int pad_w,
                                 int stride_h = 1, int stride_w = 1, int dil_h = 1, int dil_w = 1) {
  return ConvShape{n, c, h, w, k, r, s, pad_h, pad_w, stride_h, stride_w, dil_h, dil_w,
                   conv_out_size(h, r, pad_h, stride_h, dil_h), conv_out_size(w, s, pad_w, stride_w, dil_w)};
}

// nullptr when the direct kernel can run the shape (any positive sizes, stride, dilation, padding ≥ 0, a
// non-empty output), else why not.
const char* direct_can_implement(const ConvShape& shape);

// y[n,p,q,k] = act(bias[k] + Σ_{r,s,c} x[n, p·sh − ph + r·dh, q·sw − pw + s·dw, c] · filter[k,r,s,c]), fp32
// accumulation, one rounding to fp16. bias may be null. Returns hipErrorInvalidValue if direct_can_implement fails.
hipError_t direct_conv2d_fp16_nhwc(const void* x, const void* filter_krsc, const void* bias_or_null, void* y,
                                   const ConvShape& shape, bool relu, hipStream_t stream);

// Layout conversions of an fp16 4-D tensor [n][c][h][w] ↔ [n][h][w][c]. The same functions convert filters:
// KCRS → KRSC is nchw_to_nhwc_fp16 with (n,c,h,w) = (k,c,r,s). src and dst must not overlap.
hipError_t nchw_to_nhwc_fp16(const void* src, void* dst, int n, int c, int h, int w, hipStream_t stream);
hipError_t nhwc_to_nchw_fp16(const void* src, void* dst, int n, int c, int h, int w, hipStream_t stream);

}  // namespace nova
