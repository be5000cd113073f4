// Compile-only check: the generated constants are usable from device code (nvcc, or hipcc with -x hip),
// with compile-time indices in unrolled loops, for every built tile size. Compiled by test/cpp/run.sh.

#include "../../src-hip/generated/winograd_constants.h"

// hipcc cannot emit a __global__ without hip_runtime.h (kept out of here on purpose); a device function
// exercises the same constant folding.
#if defined(__HIPCC__) && !defined(__CUDACC__)
#define NOVA_TEST_ENTRY __device__
#else
#define NOVA_TEST_ENTRY __global__
#endif

template <int M>
NOVA_TEST_ENTRY void input_transform_rows(const float* d, float* v) {
  using W = nova::wino::F3<M>;
  constexpr int kAlpha = W::kAlpha;
  float out[kAlpha];
#pragma unroll
  for (int i = 0; i < kAlpha; ++i) {
    float acc = 0.0f;
#pragma unroll
    for (int k = 0; k < kAlpha; ++k) acc += W::bt(i, k) * d[k];
    out[i] = acc;
  }
  float y = 0.0f;
#pragma unroll
  for (int i = 0; i < M; ++i)
#pragma unroll
    for (int k = 0; k < kAlpha; ++k) y += W::at(i, k) * out[k] * W::g(k, i % W::kR);
  *v = y;  // no threadIdx: this file must not need a runtime header
}

template NOVA_TEST_ENTRY void input_transform_rows<2>(const float*, float*);
template NOVA_TEST_ENTRY void input_transform_rows<4>(const float*, float*);
template NOVA_TEST_ENTRY void input_transform_rows<6>(const float*, float*);
template NOVA_TEST_ENTRY void input_transform_rows<8>(const float*, float*);
