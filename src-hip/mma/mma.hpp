// The one per-vendor file: a warp-level 16×16×16 matrix product D += A·B with fp16 operands and fp32
// accumulation, its fragment types, and the helpers that move fragments to and from shared memory, so that
// callers never see which lane holds which element.
//
// Operand storage seen by callers (load_a, load_b: contiguous along the reduction dimension k; fill_a: any):
//   A: 16 rows (m) × 16 k,  element (m, k) at a[m * lda + k], or as rows of m, 8 consecutive k at a time
//   B: 16 cols (n) × 16 k,  given as rows of n, 8 consecutive k at a time (load_b_k_rows: as rows of k)
//   D: 16 × 16 fp32,        element (m, n) stored at d[m * row_stride + n * col_stride]  (store_d_half: as fp16)
// Preconditions: operands are in shared memory; every row start (a + m·lda, b + n·ldb, and 8 halves further) and
// every chunk address a load_a / load_b / load_b_k_rows callback returns is 16-byte aligned.
//
// Implementations, chosen per device-compilation pass:
//   NVIDIA sm_80+ (NOVA_ARCH_NV_AMPERE_PLUS): ldmatrix.x4 (.trans) loads, two
//                                              mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32; on sm_90a also
//                                              warpgroup products (wgmma, NOVA_MMA_WGMMA).
//   AMD CDNA (NOVA_ARCH_CDNA, wave64):        __builtin_amdgcn_mfma_f32_16x16x16f16.
//   Anything else:                             a scalar version built on warp shuffles (any warp width that
//                                              divides 256 into 16-row groups: 32 or 64).
#pragma once

#include "../compat/hip_compat.hpp"

namespace nova::mma {

#if defined(NOVA_ARCH_NV_AMPERE_PLUS) && !defined(NOVA_MMA_FORCE_SCALAR)
#define NOVA_MMA_PTX 1
#elif defined(NOVA_ARCH_CDNA) && !defined(NOVA_MMA_FORCE_SCALAR)
#define NOVA_MMA_MFMA 1
#else  // !(NOVA_ARCH_NV_AMPERE_PLUS || NOVA_ARCH_CDNA) || NOVA_MMA_FORCE_SCALAR
#define NOVA_MMA_SCALAR 1
#endif  // NOVA_ARCH_NV_AMPERE_PLUS / NOVA_ARCH_CDNA

#if defined(NOVA_MMA_PTX)
// m16n8k16 layout (PTX ISA, "Matrix Fragments for mma.m16n8k16"): group g = lane / 4, thread t = lane % 4.
// A: a[0] = (g, 2t..2t+1), a[1] = (g+8, 2t..), a[2] = (g, 2t+8..), a[3] = (g+8, 2t+8..).
// B (per n8 half h): b[h][0] = (k 2t..2t+1, n g), b[h][1] = (k 2t+8.., n g).
// D (per n8 half h): d[h][0..1] = (g, 2t..2t+1), d[h][2..3] = (g+8, 2t..2t+1).
struct FragA { unsigned a[4]; };
struct FragB { unsigned b[2][2]; };
struct FragD { float d[2][4]; };
#elif defined(NOVA_MMA_MFMA)
// mfma_f32_16x16x16f16, wave64: lane l holds A(m = l % 16, k = 4(l / 16) + i), B(k = 4(l / 16) + i, n = l % 16)
// and D(m = 4(l / 16) + i, n = l % 16), i = 0..3.
typedef _Float16 half4_t __attribute__((ext_vector_type(4)));
typedef float float4_t __attribute__((ext_vector_type(4)));
struct FragA { half4_t a; };
struct FragB { half4_t b; };
struct FragD { float4_t d; };
#else  // NOVA_MMA_SCALAR
// Lane l holds row l / kLanesPerRow of A and D, column l / kLanesPerRow of B, and the kPerLane consecutive k (A, B)
// or n (D) starting at (l % kLanesPerRow) · kPerLane.
inline constexpr int kLanesPerRow = kWarpSize / 16;
inline constexpr int kPerLane = 16 / kLanesPerRow;
struct FragA { float a[kPerLane]; };
struct FragB { float b[kPerLane]; };
struct FragD { float d[kPerLane]; };
#endif  // NOVA_MMA_PTX / NOVA_MMA_MFMA / NOVA_MMA_SCALAR

__device__ inline int lane_id() { return static_cast<int>(threadIdx.x) % kWarpSize; }

__device__ inline void zero(FragD& f) {
#if defined(NOVA_MMA_PTX)
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 4; ++i) f.d[h][i] = 0.0f;
#elif defined(NOVA_MMA_MFMA)
  f.d = float4_t{0.0f, 0.0f, 0.0f, 0.0f};
#else   // NOVA_MMA_SCALAR
  for (int i = 0; i < kPerLane; ++i) f.d[i] = 0.0f;
#endif  // NOVA_MMA_PTX / NOVA_MMA_MFMA / NOVA_MMA_SCALAR
}

// y += a · x, element by element (two D fragments of the same layout).
__device__ inline void add_scaled(FragD& y, float a, const FragD& x) {
#if defined(NOVA_MMA_PTX)
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 4; ++i) y.d[h][i] = fmaf(a, x.d[h][i], y.d[h][i]);
#elif defined(NOVA_MMA_MFMA)
  y.d += a * x.d;
#else   // NOVA_MMA_SCALAR
  for (int i = 0; i < kPerLane; ++i) y.d[i] = fmaf(a, x.d[i], y.d[i]);
#endif  // NOVA_MMA_PTX / NOVA_MMA_MFMA / NOVA_MMA_SCALAR
}

// A given as rows of m (k contiguous within a row): chunk(m, k0) points to the 8 values A(m, k0..k0+7), k0 ∈ {0, 8},
// 16-byte aligned in shared memory.
template <class RowChunk>
__device__ inline void load_a(FragA& f, RowChunk&& chunk) {
  const int lane = lane_id();
#if defined(NOVA_MMA_PTX)
  // ldmatrix.x4: lanes 0–15 address rows 0–15 at k = 0, lanes 16–31 the same rows at k = 8; matrices 0..3 are
  // exactly a[0..3].
  const unsigned address = static_cast<unsigned>(__cvta_generic_to_shared(chunk(lane & 15, (lane >> 4) * 8)));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(f.a[0]), "=r"(f.a[1]), "=r"(f.a[2]), "=r"(f.a[3])
               : "r"(address));
#elif defined(NOVA_MMA_MFMA)
  const __half* p = chunk(lane & 15, (lane >> 4) & 2 ? 8 : 0) + 4 * ((lane >> 4) & 1);
  for (int i = 0; i < 4; ++i) f.a[i] = static_cast<_Float16>(__half2float(p[i]));
#else   // NOVA_MMA_SCALAR
  const int k0 = (lane % kLanesPerRow) * kPerLane;
  for (int i = 0; i < kPerLane; ++i) f.a[i] = __half2float(chunk(lane / kLanesPerRow, (k0 + i) & 8)[(k0 + i) & 7]);
#endif  // NOVA_MMA_PTX / NOVA_MMA_MFMA / NOVA_MMA_SCALAR
}

// A stored as rows of m with pitch lda: element (m, k) at a[m * lda + k].
__device__ inline void load_a(FragA& f, const __half* a, int lda) {
  load_a(f, [&](int m, int k0) { return a + m * lda + k0; });
}

// B given as rows of n (k contiguous within a row): chunk(n, k0) points to the 8 values B(k0..k0+7, n), k0 ∈ {0, 8},
// 16-byte aligned in shared memory.
template <class RowChunk>
__device__ inline void load_b(FragB& f, RowChunk&& chunk) {
  const int lane = lane_id();
#if defined(NOVA_MMA_PTX)
  // ldmatrix.x4 over the rows of n: matrices (n 0–7, k 0–7), (n 0–7, k 8–15), (n 8–15, k 0–7), (n 8–15, k 8–15)
  // are b[0][0], b[0][1], b[1][0], b[1][1].
  const int n = (lane & 7) + ((lane >> 4) << 3), k0 = ((lane >> 3) & 1) * 8;
  const unsigned address = static_cast<unsigned>(__cvta_generic_to_shared(chunk(n, k0)));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(f.b[0][0]), "=r"(f.b[0][1]), "=r"(f.b[1][0]), "=r"(f.b[1][1])
               : "r"(address));
#elif defined(NOVA_MMA_MFMA)
  for (int i = 0; i < 4; ++i) {
    const int k = 4 * (lane >> 4) + i;
    f.b[i] = static_cast<_Float16>(__half2float(chunk(lane & 15, k & 8)[k & 7]));
  }
#else   // NOVA_MMA_SCALAR
  const int n = lane / kLanesPerRow, k0 = (lane % kLanesPerRow) * kPerLane;
  for (int i = 0; i < kPerLane; ++i) f.b[i] = __half2float(chunk(n, (k0 + i) & 8)[(k0 + i) & 7]);
#endif  // NOVA_MMA_PTX / NOVA_MMA_MFMA / NOVA_MMA_SCALAR
}

// B stored as rows of n with pitch ldb: element (k, n) at b[n * ldb + k].
__device__ inline void load_b(FragB& f, const __half* b, int ldb) {
  load_b(f, [&](int n, int k0) { return b + n * ldb + k0; });
}

// A built from values: element (m, k) is value(m, k), rounded to fp16 (for constant operands in registers).
template <class Value>
__device__ inline void fill_a(FragA& f, Value&& value) {
  const int lane = lane_id();
#if defined(NOVA_MMA_PTX)
  const int g = lane >> 2, t = lane & 3;
  for (int r = 0; r < 4; ++r) {
    const int m = g + 8 * (r & 1), k = 2 * t + 8 * (r >> 1);
    const __half2 pair = __floats2half2_rn(value(m, k), value(m, k + 1));
    f.a[r] = *reinterpret_cast<const unsigned*>(&pair);
  }
#elif defined(NOVA_MMA_MFMA)
  for (int i = 0; i < 4; ++i) f.a[i] = static_cast<_Float16>(value(lane & 15, 4 * (lane >> 4) + i));
#else   // NOVA_MMA_SCALAR
  const int m = lane / kLanesPerRow, k0 = (lane % kLanesPerRow) * kPerLane;
  for (int i = 0; i < kPerLane; ++i) f.a[i] = value(m, k0 + i);
#endif  // NOVA_MMA_PTX / NOVA_MMA_MFMA / NOVA_MMA_SCALAR
}

// B given as rows of k (n contiguous within a row): chunk(k, n0) points to the 8 values B(k, n0..n0+7), n0 ∈ {0, 8},
// 16-byte aligned in shared memory. For operands stored k-major, such as staged input pixels × channels.
template <class RowChunk>
__device__ inline void load_b_k_rows(FragB& f, RowChunk&& chunk) {
  const int lane = lane_id();
#if defined(NOVA_MMA_PTX)
  // ldmatrix.x4.trans over rows of k: matrices (k 0–7, n 0–7), (k 8–15, n 0–7), (k 0–7, n 8–15), (k 8–15, n 8–15)
  // transposed are b[0][0], b[0][1], b[1][0], b[1][1].
  const int k = (lane & 7) + ((lane >> 3) & 1) * 8, n0 = (lane >> 4) * 8;
  const unsigned address = static_cast<unsigned>(__cvta_generic_to_shared(chunk(k, n0)));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(f.b[0][0]), "=r"(f.b[0][1]), "=r"(f.b[1][0]), "=r"(f.b[1][1])
               : "r"(address));
#elif defined(NOVA_MMA_MFMA)
  const int n = lane & 15;
  for (int i = 0; i < 4; ++i) f.b[i] = static_cast<_Float16>(__half2float(chunk(4 * (lane >> 4) + i, n & 8)[n & 7]));
#else   // NOVA_MMA_SCALAR
  const int n = lane / kLanesPerRow, k0 = (lane % kLanesPerRow) * kPerLane;
  for (int i = 0; i < kPerLane; ++i) f.b[i] = __half2float(chunk(k0 + i, n & 8)[n & 7]);
#endif  // NOVA_MMA_PTX / NOVA_MMA_MFMA / NOVA_MMA_SCALAR
}

// d += a · b
__device__ inline void mma(FragD& d, const FragA& a, const FragB& b) {
#if defined(NOVA_MMA_PTX)
  for (int h = 0; h < 2; ++h) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(d.d[h][0]), "+f"(d.d[h][1]), "+f"(d.d[h][2]), "+f"(d.d[h][3])
        : "r"(a.a[0]), "r"(a.a[1]), "r"(a.a[2]), "r"(a.a[3]), "r"(b.b[h][0]), "r"(b.b[h][1]));
  }
#elif defined(NOVA_MMA_MFMA)
  d.d = __builtin_amdgcn_mfma_f32_16x16x16f16(a.a, b.b, d.d, 0, 0, 0);
#else   // NOVA_MMA_SCALAR
  // D(m, n) for m = lane's row group, n its columns; A(m, k) and B(k, n) gathered from the owning lanes.
  const int lane = lane_id();
  const int row = lane / kLanesPerRow, col0 = (lane % kLanesPerRow) * kPerLane;
  const int row_lane0 = row * kLanesPerRow;
  for (int k = 0; k < 16; ++k) {
    const float a_mk = __shfl(a.a[k % kPerLane], row_lane0 + k / kPerLane);
    for (int j = 0; j < kPerLane; ++j) {
      // B(k, col0 + j) is held by lane (col0 + j) · kLanesPerRow + k / kPerLane, element k % kPerLane.
      const float b_kn = __shfl(b.b[k % kPerLane], (col0 + j) * kLanesPerRow + k / kPerLane);
      d.d[j] += a_mk * b_kn;
    }
  }
  (void)row;
#endif  // NOVA_MMA_PTX / NOVA_MMA_MFMA / NOVA_MMA_SCALAR
}

__device__ inline void store_d(const FragD& f, float* d, int row_stride, int col_stride) {
  const int lane = lane_id();
#if defined(NOVA_MMA_PTX)
  const int g = lane >> 2, t = lane & 3;
  for (int h = 0; h < 2; ++h) {
    const int n = 8 * h + 2 * t;
    d[g * row_stride + n * col_stride] = f.d[h][0];
    d[g * row_stride + (n + 1) * col_stride] = f.d[h][1];
    d[(g + 8) * row_stride + n * col_stride] = f.d[h][2];
    d[(g + 8) * row_stride + (n + 1) * col_stride] = f.d[h][3];
  }
#elif defined(NOVA_MMA_MFMA)
  for (int i = 0; i < 4; ++i) d[(4 * (lane >> 4) + i) * row_stride + (lane & 15) * col_stride] = f.d[i];
#else   // NOVA_MMA_SCALAR
  const int m = lane / kLanesPerRow, n0 = (lane % kLanesPerRow) * kPerLane;
  for (int j = 0; j < kPerLane; ++j) d[m * row_stride + (n0 + j) * col_stride] = f.d[j];
#endif  // NOVA_MMA_PTX / NOVA_MMA_MFMA / NOVA_MMA_SCALAR
}

// D rounded to fp16 at at(m, n) (elements n and n + 1 adjacent for even n, 4-byte aligned); with lo_offset > 0
// also the residual D − hi rounded to fp16 at at(m, n) + lo_offset (the compensated hi + lo storage).
template <class At>
__device__ inline void store_d_half(const FragD& f, At&& at, int lo_offset) {
  const int lane = lane_id();
#if defined(NOVA_MMA_PTX)
  const int g = lane >> 2, t = lane & 3;
  for (int h = 0; h < 2; ++h)
    for (int r = 0; r < 2; ++r) {
      __half* hi = at(g + 8 * r, 8 * h + 2 * t);
      const float v0 = f.d[h][2 * r], v1 = f.d[h][2 * r + 1];
      const __half2 rounded = __floats2half2_rn(v0, v1);
      *reinterpret_cast<__half2*>(hi) = rounded;
      if (lo_offset > 0)
        *reinterpret_cast<__half2*>(hi + lo_offset) =
            __floats2half2_rn(v0 - __low2float(rounded), v1 - __high2float(rounded));
    }
#else   // !NOVA_MMA_PTX: one element at a time
  const auto put = [&](int m, int n, float value) {
    __half* hi = at(m, n);
    const __half rounded = __float2half_rn(value);
    *hi = rounded;
    if (lo_offset > 0) hi[lo_offset] = __float2half_rn(value - __half2float(rounded));
  };
#if defined(NOVA_MMA_MFMA)
  for (int i = 0; i < 4; ++i) put(4 * (lane >> 4) + i, lane & 15, f.d[i]);
#else   // NOVA_MMA_SCALAR
  const int m = lane / kLanesPerRow, n0 = (lane % kLanesPerRow) * kPerLane;
  for (int j = 0; j < kPerLane; ++j) put(m, n0 + j, f.d[j]);
#endif  // NOVA_MMA_MFMA / NOVA_MMA_SCALAR
#endif  // NOVA_MMA_PTX
}

#if defined(NOVA_MMA_PTX) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
// Warpgroup products (wgmma, sm_90a only): the 4 warps of a warpgroup (warps 4w..4w+3) compute a 64-row D
// together, each warp holding its 16 rows as FragD pieces (the m16n8 D layout, one FragD per 16 columns); A and B
// are read from shared memory through descriptors.
#define NOVA_MMA_WGMMA 1

// Descriptor of a shared-memory operand stored k-major without swizzle: 8×8 core matrices (8 rows of n, or of m
// for A, 8 consecutive k each, 128 contiguous bytes); core matrices adjacent in k are k_stride bytes apart, in n (m)
// n_stride.
__device__ inline unsigned long long warpgroup_descriptor(const void* shared, int k_stride, int n_stride) {
  const unsigned long long address = static_cast<unsigned>(__cvta_generic_to_shared(shared));
  return ((address >> 4) & 0x3fff) | (static_cast<unsigned long long>((k_stride >> 4) & 0x3fff) << 16) |
         (static_cast<unsigned long long>((n_stride >> 4) & 0x3fff) << 32);
}

// The descriptor of the operand `bytes` (a multiple of 16) after the one `descriptor` describes, with the same
// strides: the address field counts 16-byte units and shared memory ends below 2^18 bytes, so the sum never carries
// into the stride fields.
__device__ inline unsigned long long descriptor_advance(unsigned long long descriptor, unsigned bytes) {
  return descriptor + (bytes >> 4);
}

// Makes this thread's shared-memory stores visible to later warpgroup products (they read through the async
// proxy); call before the barrier that hands the data over.
__device__ inline void warpgroup_publish_shared() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }
// Orders this warp's register writes (accumulators, A fragments) before the next warpgroup products.
__device__ inline void warpgroup_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ inline void warpgroup_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int kPendingGroups>
__device__ inline void warpgroup_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(kPendingGroups) : "memory");
}

// d (64 × N, this warp's 16 rows in d[0] for n 0–15 and, where N = 32, d[1] for n 16–31) = a (64 × 16) · b (16 × N),
// plus d when accumulate (so the first product needs no zeroed accumulators); a and b are read from shared memory
// through descriptors of their core-matrix layouts (a: rows of m, 8 consecutive k each, like b).
template <int kN>
__device__ inline void warpgroup_mma(FragD (&d)[kN / 16], unsigned long long a, unsigned long long b, bool accumulate) {
  static_assert(kN == 16 || kN == 32, "the block shapes' N");
  if constexpr (kN == 32)
    asm volatile(
        "{\n.reg .pred accumulate;\nsetp.ne.b32 accumulate, %18, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n32k16.f32.f16.f16 "
        "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15}, %16, %17, accumulate, 1, 1, 0, 0;\n}\n"
        : "+f"(d[0].d[0][0]), "+f"(d[0].d[0][1]), "+f"(d[0].d[0][2]), "+f"(d[0].d[0][3]),
          "+f"(d[0].d[1][0]), "+f"(d[0].d[1][1]), "+f"(d[0].d[1][2]), "+f"(d[0].d[1][3]),
          "+f"(d[1].d[0][0]), "+f"(d[1].d[0][1]), "+f"(d[1].d[0][2]), "+f"(d[1].d[0][3]),
          "+f"(d[1].d[1][0]), "+f"(d[1].d[1][1]), "+f"(d[1].d[1][2]), "+f"(d[1].d[1][3])
        : "l"(a), "l"(b), "r"(static_cast<int>(accumulate)));
  else
    asm volatile(
        "{\n.reg .pred accumulate;\nsetp.ne.b32 accumulate, %10, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n16k16.f32.f16.f16 "
        "{%0,%1,%2,%3,%4,%5,%6,%7}, %8, %9, accumulate, 1, 1, 0, 0;\n}\n"
        : "+f"(d[0].d[0][0]), "+f"(d[0].d[0][1]), "+f"(d[0].d[0][2]), "+f"(d[0].d[0][3]),
          "+f"(d[0].d[1][0]), "+f"(d[0].d[1][1]), "+f"(d[0].d[1][2]), "+f"(d[0].d[1][3])
        : "l"(a), "l"(b), "r"(static_cast<int>(accumulate)));
}

// Bulk and tensor copies (sm_90a): one thread copies a contiguous run (a multiple of 16 bytes, both ends 16-byte
// aligned) or a tensor's box into shared memory, counting its bytes on a shared-memory barrier that every reader
// waits on by phase (0, 1, 0, … per use of the barrier).
__device__ inline unsigned shared_address(const void* shared) {
  return static_cast<unsigned>(__cvta_generic_to_shared(shared));
}
// By one thread, followed by a block barrier: each phase expects one arrival (the copy's, copy_barrier_expect).
__device__ inline void copy_barrier_init(unsigned long long* barrier) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;\n" ::"r"(shared_address(barrier)) : "memory");
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
}
// The barrier's one arrival of this phase, which then completes when `bytes` more have landed.
__device__ inline void copy_barrier_expect(unsigned long long* barrier, unsigned bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(shared_address(barrier)), "r"(bytes)
               : "memory");
}
__device__ inline void bulk_copy(void* shared_dst, const void* global_src, unsigned bytes,
                                 unsigned long long* barrier) {
  copy_barrier_expect(barrier, bytes);
  asm volatile(
      "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::"r"(
          shared_address(shared_dst)),
      "l"(global_src), "r"(bytes), "r"(shared_address(barrier))
      : "memory");
}
// A tensor copy: the box of the tensor `map` (a grid-constant TensorMap, encode_fp16_tensor_map_4d) at element
// coordinates (x0, x1, x2, x3), innermost first, any of them past the tensor's ends (zeros land there), into shared
// memory as the map lays it out; its `bytes` (the whole box) counted on `barrier` as bulk_copy's are.
__device__ inline void tensor_copy_4d(void* shared_dst, const void* map, int x0, int x1, int x2, int x3, unsigned bytes,
                                      unsigned long long* barrier) {
  copy_barrier_expect(barrier, bytes);
  asm volatile(
      "cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4, %5}], "
      "[%6];\n" ::"r"(shared_address(shared_dst)),
      "l"(map), "r"(x0), "r"(x1), "r"(x2), "r"(x3), "r"(shared_address(barrier))
      : "memory");
}
__device__ inline void copy_barrier_wait(unsigned long long* barrier, unsigned phase) {
  asm volatile(
      "{\n.reg .pred done;\nwait:\n"
      "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
      "@!done bra wait;\n}\n" ::"r"(shared_address(barrier)), "r"(phase)
      : "memory");
}
#endif  // NOVA_MMA_PTX && __CUDA_ARCH_FEAT_SM90_ALL

// Asynchronous 16-byte global → shared copies (cp.async on NVIDIA sm_80+, a plain copy elsewhere), so a block
// can issue the next operand loads and keep computing. `valid == false` writes zeros. Both addresses 16-byte
// aligned. Copies are grouped by copy_async_commit(); copy_async_wait<N>() waits until at most N of this thread's
// most recent groups are still in flight. A barrier then publishes the data to the block.
__device__ inline void copy_async_16(void* shared_dst, const void* global_src, bool valid) {
#if defined(NOVA_MMA_PTX)
  const unsigned dst = static_cast<unsigned>(__cvta_generic_to_shared(shared_dst));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(global_src), "r"(valid ? 16 : 0));
#else   // !NOVA_MMA_PTX
  *static_cast<uint4*>(shared_dst) = valid ? *static_cast<const uint4*>(global_src) : make_uint4(0u, 0u, 0u, 0u);
#endif  // NOVA_MMA_PTX
}

__device__ inline void copy_async_commit() {
#if defined(NOVA_MMA_PTX)
  asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif  // NOVA_MMA_PTX
}

template <int kPendingGroups>
__device__ inline void copy_async_wait() {
#if defined(NOVA_MMA_PTX)
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPendingGroups) : "memory");
#endif  // NOVA_MMA_PTX
}

}  // namespace nova::mma
