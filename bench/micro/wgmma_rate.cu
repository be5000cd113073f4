// Microbenchmark (NVIDIA sm_90a): how fast Hopper's wgmma m64nNk16 runs with both operands in shared memory, in
// the shape of the fused F(2,3) block's step (W warpgroups issue P products each, commit, then wait for all but the
// newest group), with nothing else in the kernel: no copies, no input transform, no epilogue. It bounds what the
// products alone allow (bench/NOTES.md, "What the products alone allow"). Variants: zero or random fp16 data, the
// fused kernel's V strides (160/320 bytes), one block per SM for 2000 steps or the real grid's 2560 blocks of 40
// steps (SD1.5 640x32 batch 32), a block barrier per step.
// Build and run (device):  nvcc -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a bench/micro/wgmma_rate.cu \
//                            -o wgmma_rate && ./wgmma_rate
// "step" is µs per step per SM (time / steps / waves); "cycles/wgmma/SM" assumes a 1.98 GHz clock.
// ptxas reports its wgmma serialization warning (C7514/C7515) for the 8-product and n128 variants: read those as bounds.
#include <cstdio>
#include <cuda_runtime.h>
__device__ __forceinline__ unsigned long long desc(const void* s, int lbo, int sbo) {
  unsigned long long a = static_cast<unsigned>(__cvta_generic_to_shared(s));
  return ((a >> 4) & 0x3fff) | ((unsigned long long)((lbo >> 4) & 0x3fff) << 16) | ((unsigned long long)((sbo >> 4) & 0x3fff) << 32);
}

__device__ __forceinline__ void wgmma_n32(float (&d)[16], unsigned long long a, unsigned long long b) {
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %18, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n32k16.f32.f16.f16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15}, %16, %17, p, 1, 1, 0, 0;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]) : "l"(a), "l"(b), "r"(1));
}
__device__ __forceinline__ void wgmma_n64(float (&d)[32], unsigned long long a, unsigned long long b) {
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, %32, %33, p, 1, 1, 0, 0;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]) : "l"(a), "l"(b), "r"(1));
}
__device__ __forceinline__ void wgmma_n128(float (&d)[64], unsigned long long a, unsigned long long b) {
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63}, %64, %65, p, 1, 1, 0, 0;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]) : "l"(a), "l"(b), "r"(1));
}
template <int N, int W, int P, int kBarrier, int kWait, int kRandom = 0, int kRealV = 0>
__global__ void __launch_bounds__(W * 128, 1) products(int steps, float* out) {
  extern __shared__ __align__(1024) unsigned char smem[];
  // A: 16 positions x 64 x 16 halves (2 KB each), B: 16 positions x N x 16 halves
  unsigned char* a_base = smem; unsigned char* b_base = smem + 16 * 2048;
  for (int i = threadIdx.x; i < (16 * 2048 + 16 * N * 32) / 4; i += blockDim.x) {
    if (kRandom) {
      unsigned h = (i + 7919u * blockIdx.x) * 2654435761u; h ^= h >> 13; h *= 0x5bd1e995u; h ^= h >> 15;
      // two fp16 values in (-1, 1): sign, exponent 14 or below, random mantissa
      const unsigned lo = ((h & 1u) << 15) | ((10u + ((h >> 1) & 3u)) << 10) | ((h >> 3) & 0x3ffu);
      const unsigned hi = (((h >> 13) & 1u) << 15) | ((10u + ((h >> 14) & 3u)) << 10) | ((h >> 16) & 0x3ffu);
      ((unsigned*)smem)[i] = lo | (hi << 16);
    } else ((unsigned*)smem)[i] = 0x3c003c00u * ((i & 7) == 0);
  }
  __syncthreads();
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
  __syncthreads();
  const int g = threadIdx.x / 128;
  float acc[P][N / 2];
  for (int p = 0; p < P; ++p) for (int i = 0; i < N / 2; ++i) acc[p][i] = 0.f;
  for (int s = 0; s < steps; ++s) {
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#pragma unroll
    for (int p = 0; p < P; ++p) {
      const int pos = (g * P + p) % 16;
      const auto a = desc(a_base + pos * 2048, 1024, 128);
      const auto b = kRealV ? desc(b_base + pos * N * 32, 160, 320) : desc(b_base + pos * N * 32, 128, 256);
      if constexpr (N == 32) wgmma_n32(acc[p], a, b);
      if constexpr (N == 64) wgmma_n64(acc[p], a, b);
      if constexpr (N == 128) wgmma_n128(acc[p], a, b);
    }
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
    if constexpr (kWait == 1) asm volatile("wgmma.wait_group.sync.aligned 1;\n" ::: "memory");
    else asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
    if constexpr (kBarrier) __syncthreads();
  }
  asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
  float sum = 0; for (int p = 0; p < P; ++p) for (int i = 0; i < N / 2; ++i) sum += acc[p][i];
  if (sum == 12345.f) out[0] = sum;  // keeps the products from being optimized away
}
template <int N, int W, int P, int kBarrier, int kWait, int kRandom = 0, int kRealV = 0>
void run(const char* name, int sms, float* out, int blocks = 0, int steps = 2000) {
  if (blocks == 0) blocks = sms;
  const int bytes = 16 * 2048 + 16 * N * 32 + (kRealV ? 16 * N * 8 : 0);
  auto k = products<N, W, P, kBarrier, kWait, kRandom, kRealV>;
  cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
  cudaEvent_t e0, e1; cudaEventCreate(&e0); cudaEventCreate(&e1);
  k<<<blocks, W * 128, bytes>>>(steps, out);
  cudaEventRecord(e0);
  for (int r = 0; r < 5; ++r) k<<<blocks, W * 128, bytes>>>(steps, out);
  cudaEventRecord(e1); cudaEventSynchronize(e1);
  float ms; cudaEventElapsedTime(&ms, e0, e1);
  const double waves = (double)blocks / sms;
  const double step_us = ms * 1e3 / 5 / steps / waves;
  const double flops = 2.0 * 64 * N * 16 * W * P * (double)steps * blocks * 5;
  printf("%-40s step %.3f us  %.0f TFLOP/s  %.1f cycles/wgmma/SM  %s\n", name, step_us, flops / (ms * 1e-3) / 1e12,
         step_us * 1.98e3 / (W * P), cudaGetErrorString(cudaGetLastError()));
}
int main() {
  int sms; cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
  float* out; cudaMalloc(&out, 4);
  cudaDeviceProp prop; cudaGetDeviceProperties(&prop, 0); printf("%s, %d SMs\n", prop.name, sms);
  run<32, 4, 4, 0, 1>("n32 4 WG x 4, wait<1>", sms, out);
  run<32, 4, 4, 0, 1, 1>("  random data", sms, out);
  run<32, 4, 4, 0, 1, 1, 1>("  random data, V strides 160/320", sms, out);
  run<32, 4, 4, 0, 1, 1, 1>("  same, 2560 blocks of 40 steps", sms, out, 2560, 40);
  run<32, 4, 4, 1, 1, 1, 1>("  same + block barrier per step", sms, out, 2560, 40);
  run<32, 2, 8, 0, 1, 1, 1>("n32 2 WG x 8, random, V strides, 2560 x 40", sms, out, 2560, 40);
  run<64, 4, 2, 0, 1, 1>("n64 4 WG x 2, random data", sms, out);
  run<32, 4, 4, 1, 1>("n32 4 WG x 4, wait<1>, block barrier", sms, out);
  run<32, 4, 4, 0, 0>("n32 4 WG x 4, wait<0>", sms, out);
  run<32, 2, 8, 0, 1>("n32 2 WG x 8, wait<1>", sms, out);
  run<32, 1, 8, 0, 1>("n32 1 WG x 8, wait<1>", sms, out);
  run<64, 4, 2, 0, 1>("n64 4 WG x 2, wait<1>", sms, out);
  run<128, 2, 2, 0, 1>("n128 2 WG x 2, wait<1>", sms, out);
  run<128, 4, 1, 0, 1>("n128 4 WG x 1, wait<1>", sms, out);
  return 0;
}
