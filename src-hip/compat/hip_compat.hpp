// The one file that includes a GPU runtime header. Kernels and launchers are written against the HIP API; under
// nvcc (or a host compiler building against CUDA) this maps the hip* names used in src-hip/ onto CUDA. AMD is
// chosen when clang compiles HIP (__HIP__; Debian's hipcc defines no platform macro) or when __HIP_PLATFORM_AMD__
// or NOVA_PLATFORM_HIP is defined (host-only files of the AMD build).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#if defined(__HIP_PLATFORM_AMD__) || defined(__HIP_PLATFORM_HCC__) || defined(NOVA_PLATFORM_HIP) || \
    (defined(__HIP__) && !defined(__CUDACC__))
#define NOVA_PLATFORM_AMD 1
#if !defined(__HIP_PLATFORM_AMD__)
#define __HIP_PLATFORM_AMD__ 1
#endif  // !__HIP_PLATFORM_AMD__
#include <hip/hip_fp16.h>
#include <hip/hip_runtime.h>
#else  // !(__HIP_PLATFORM_AMD__ || __HIP_PLATFORM_HCC__ || NOVA_PLATFORM_HIP || __HIP__)
#define NOVA_PLATFORM_NVIDIA 1
#include <cuda.h>  // CUtensorMap and its encoder's types (the encoder itself is reached through the runtime)
#include <cudaTypedefs.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#if defined(__CUDACC__)
#include <cooperative_groups.h>
#endif  // __CUDACC__

// Runtime API: only the names src-hip/ uses.
using hipError_t = cudaError_t;
using hipStream_t = cudaStream_t;
using hipEvent_t = cudaEvent_t;
using hipDeviceProp_t = cudaDeviceProp;
#define hipSuccess cudaSuccess
#define hipErrorInvalidValue cudaErrorInvalidValue
#define hipErrorNotSupported cudaErrorNotSupported
#define hipErrorOutOfMemory cudaErrorMemoryAllocation
#define hipGetErrorString cudaGetErrorString
#define hipGetErrorName cudaGetErrorName
#define hipGetLastError cudaGetLastError
#define hipPeekAtLastError cudaPeekAtLastError
#define hipMalloc cudaMalloc
#define hipFree cudaFree
#define hipMemcpy cudaMemcpy
#define hipMemcpyAsync cudaMemcpyAsync
#define hipMemset cudaMemset
#define hipMemsetAsync cudaMemsetAsync
#define hipMemcpyHostToDevice cudaMemcpyHostToDevice
#define hipMemcpyDeviceToHost cudaMemcpyDeviceToHost
#define hipMemcpyDeviceToDevice cudaMemcpyDeviceToDevice
#define hipDeviceSynchronize cudaDeviceSynchronize
#define hipStreamCreate cudaStreamCreate
#define hipStreamDestroy cudaStreamDestroy
#define hipStreamSynchronize cudaStreamSynchronize
#define hipEventCreate cudaEventCreate
#define hipEventDestroy cudaEventDestroy
#define hipEventRecord cudaEventRecord
#define hipEventSynchronize cudaEventSynchronize
#define hipEventCreateWithFlags cudaEventCreateWithFlags
#define hipEventQuery cudaEventQuery
#define hipEventDisableTiming cudaEventDisableTiming
#define hipEventBlockingSync cudaEventBlockingSync
#define hipErrorNotReady cudaErrorNotReady
#define hipEventElapsedTime cudaEventElapsedTime
#define hipGetDevice cudaGetDevice
#define hipSetDevice cudaSetDevice
#define hipGetDeviceCount cudaGetDeviceCount
#define hipGetDeviceProperties cudaGetDeviceProperties
#define hipDeviceGetAttribute cudaDeviceGetAttribute
#define hipDeviceAttributeMultiprocessorCount cudaDevAttrMultiProcessorCount
#define hipDeviceAttributeMaxSharedMemoryPerBlock cudaDevAttrMaxSharedMemoryPerBlockOptin
#define hipDeviceAttributeComputeCapabilityMajor cudaDevAttrComputeCapabilityMajor
#define hipDeviceAttributeComputeCapabilityMinor cudaDevAttrComputeCapabilityMinor
#define hipFuncSetAttribute cudaFuncSetAttribute
#define hipFuncAttributeMaxDynamicSharedMemorySize cudaFuncAttributeMaxDynamicSharedMemorySize
#define hipRuntimeGetVersion cudaRuntimeGetVersion
#define hipDriverGetVersion cudaDriverGetVersion
#define hipMemGetInfo cudaMemGetInfo
// Graph capture (the bench's timed replays and the graph runtime's per-size replays).
using hipGraph_t = cudaGraph_t;
using hipGraphExec_t = cudaGraphExec_t;
#define hipStreamBeginCapture cudaStreamBeginCapture
#define hipStreamEndCapture cudaStreamEndCapture
#define hipStreamCaptureModeThreadLocal cudaStreamCaptureModeThreadLocal
#define hipGraphInstantiateWithFlags cudaGraphInstantiateWithFlags
#define hipGraphLaunch cudaGraphLaunch
#define hipGraphExecDestroy cudaGraphExecDestroy
#define hipGraphDestroy cudaGraphDestroy
#define hipDeviceAttributeL2CacheSize cudaDevAttrL2CacheSize

#if defined(__CUDACC__)
// HIP's warp shuffles take no mask; CUDA's need one. Every caller in src-hip/ shuffles with the full warp.
#define __shfl_xor(value, lane_mask) __shfl_xor_sync(0xffffffffu, (value), (lane_mask))
#define __shfl(value, src_lane) __shfl_sync(0xffffffffu, (value), (src_lane))
#define __shfl_down(value, delta) __shfl_down_sync(0xffffffffu, (value), (delta))
#endif  // __CUDACC__
#endif  // __HIP_PLATFORM_AMD__ || __HIP_PLATFORM_HCC__ || NOVA_PLATFORM_HIP || __HIP__

// Ends the kernel with an error the launch reports (for branches the launchers never take).
#if defined(__CUDACC__)
#define NOVA_DEVICE_TRAP() __trap()
#else  // !__CUDACC__
#define NOVA_DEVICE_TRAP() __builtin_trap()
#endif  // __CUDACC__

#if defined(__CUDACC__) || defined(__HIPCC__) || defined(__HIP__)
#define NOVA_DEVICE_COMPILER 1
#define NOVA_HD __host__ __device__
#else  // !(__CUDACC__ || __HIPCC__ || __HIP__)
#define NOVA_HD
#endif  // __CUDACC__ || __HIPCC__ || __HIP__

// Architecture families, decided per device-compilation pass. At most one of these is 1.
#if defined(__gfx940__) || defined(__gfx941__) || defined(__gfx942__)
#define NOVA_ARCH_CDNA3 1  // MI300: MFMA, wave64
#elif defined(__gfx90a__)
#define NOVA_ARCH_CDNA2 1  // MI200: MFMA, wave64
#elif defined(__gfx908__)
#define NOVA_ARCH_CDNA1 1  // MI100: MFMA, wave64
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
#define NOVA_ARCH_NV_AMPERE_PLUS 1  // sm_80+: mma.sync m16n8k16
#if __CUDA_ARCH__ >= 900
#define NOVA_ARCH_NV_HOPPER 1  // sm_90+: thread-block clusters and distributed shared memory
#endif  // __CUDA_ARCH__ >= 900
#endif  // __gfx94x__ / __gfx90a__ / __gfx908__ / __CUDA_ARCH__ >= 800

#if defined(NOVA_ARCH_CDNA1) || defined(NOVA_ARCH_CDNA2) || defined(NOVA_ARCH_CDNA3)
#define NOVA_ARCH_CDNA 1
#endif  // NOVA_ARCH_CDNA1 || NOVA_ARCH_CDNA2 || NOVA_ARCH_CDNA3

namespace nova {

// Threads per warp (wavefront) for the code being compiled: 64 on CDNA (GFX9), 32 on NVIDIA. On the host pass
// this is the NVIDIA value; host code that needs the device's width asks the runtime.
#if defined(__AMDGCN_WAVEFRONT_SIZE)
inline constexpr int kWarpSize = __AMDGCN_WAVEFRONT_SIZE;
#elif defined(NOVA_PLATFORM_AMD)
inline constexpr int kWarpSize = 64;
#else  // !(__AMDGCN_WAVEFRONT_SIZE || NOVA_PLATFORM_AMD)
inline constexpr int kWarpSize = 32;
#endif  // __AMDGCN_WAVEFRONT_SIZE / NOVA_PLATFORM_AMD

// A runtime failure as an exception: the statement, where, and the runtime's own message. Never aborts.
class GpuError : public std::runtime_error {
 public:
  GpuError(hipError_t code, const std::string& what) : std::runtime_error(what), code_(code) {}
  hipError_t code() const noexcept { return code_; }

 private:
  hipError_t code_;
};

inline std::string gpu_error_message(hipError_t code, const char* statement, const char* file, int line) {
  return std::string(hipGetErrorString(code)) + " (" + statement + " at " + file + ":" + std::to_string(line) + ")";
}

// Thread-block clusters: the blocks of one cluster run at the same time on neighbouring SMs and read each
// other's shared memory. NVIDIA sm_90+ only; ROCm 5.2 has no equivalent, so there these report "unsupported"
// and callers launch without clusters.
inline bool cluster_launch_supported(int device) {
#if defined(NOVA_PLATFORM_NVIDIA)
  int supported = 0;
  return cudaDeviceGetAttribute(&supported, cudaDevAttrClusterLaunch, device) == cudaSuccess && supported != 0;
#else   // !NOVA_PLATFORM_NVIDIA
  (void)device;
  return false;
#endif  // NOVA_PLATFORM_NVIDIA
}

#if defined(__CUDACC__) || defined(__HIPCC__) || defined(__HIP__)
#if defined(NOVA_PLATFORM_NVIDIA)
// A launch configuration with clusters of cluster_z consecutive blocks along the grid's z (none when cluster_z is
// 1) and, when overlap_previous, programmatic dependent launch (sm_90+): the kernel may start while the stream's
// previous kernel finishes and must call dependent_launch::wait() before it touches memory that kernel wrote.
// `attributes` holds what the configuration points to.
inline cudaLaunchConfig_t launch_config(dim3 grid, dim3 block, size_t shared_bytes, hipStream_t stream,
                                        unsigned cluster_z, bool overlap_previous, cudaLaunchAttribute (&attributes)[2]) {
  cudaLaunchConfig_t config{};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = shared_bytes;
  config.stream = stream;
  config.attrs = attributes;
  config.numAttrs = 0;
  if (cluster_z > 1) {
    cudaLaunchAttribute& cluster = attributes[config.numAttrs++];
    cluster = cudaLaunchAttribute{};
    cluster.id = cudaLaunchAttributeClusterDimension;
    cluster.val.clusterDim.x = 1;
    cluster.val.clusterDim.y = 1;
    cluster.val.clusterDim.z = cluster_z;
  }
  if (overlap_previous) {
    cudaLaunchAttribute& overlap = attributes[config.numAttrs++];
    overlap = cudaLaunchAttribute{};
    overlap.id = cudaLaunchAttributeProgrammaticStreamSerialization;
    overlap.val.programmaticStreamSerializationAllowed = 1;
  }
  return config;
}
#endif  // NOVA_PLATFORM_NVIDIA

// Launches `kernel` with clusters of cluster_z consecutive blocks along the grid's z (grid.z % cluster_z == 0; 1:
// no clusters) and, when overlap_previous (NVIDIA sm_90+ only), overlapping the stream's previous kernel (see
// launch_config). Elsewhere clusters are unsupported and overlap_previous is ignored.
template <class... Args>
hipError_t launch_kernel_ex(void (*kernel)(Args...), dim3 grid, dim3 block, size_t shared_bytes, hipStream_t stream,
                            unsigned cluster_z, bool overlap_previous, Args... args) {
#if defined(NOVA_PLATFORM_NVIDIA)
  cudaLaunchAttribute attributes[2];
  const cudaLaunchConfig_t config =
      launch_config(grid, block, shared_bytes, stream, cluster_z, overlap_previous, attributes);
  return cudaLaunchKernelEx(&config, kernel, args...);
#else   // !NOVA_PLATFORM_NVIDIA
  (void)overlap_previous;
  if (cluster_z > 1) return hipErrorNotSupported;
  kernel<<<grid, block, shared_bytes, stream>>>(args...);
  return hipGetLastError();
#endif  // NOVA_PLATFORM_NVIDIA
}

// How many clusters of cluster_z blocks of `kernel` the current device runs at once (0 where unknown or
// unsupported). A cluster's blocks share one GPC, so this can be less than SMs × blocks per SM / cluster_z.
template <class... Args>
int max_active_clusters(void (*kernel)(Args...), dim3 block, size_t shared_bytes, unsigned cluster_z) {
#if defined(NOVA_PLATFORM_NVIDIA)
  cudaLaunchAttribute attributes[2];
  const cudaLaunchConfig_t config =
      launch_config(dim3(1, 1, cluster_z), block, shared_bytes, nullptr, cluster_z, false, attributes);
  int clusters = 0;
  return cudaOccupancyMaxActiveClusters(&clusters, kernel, &config) == cudaSuccess ? clusters : 0;
#else   // !NOVA_PLATFORM_NVIDIA
  (void)kernel, (void)block, (void)shared_bytes, (void)cluster_z;
  return 0;
#endif  // NOVA_PLATFORM_NVIDIA
}
#endif  // __CUDACC__ || __HIPCC__ || __HIP__

// Tensor maps: what a tensor copy (TMA, NVIDIA sm_90+) reads, encoded on the host and passed to the kernel as a
// grid-constant parameter (a kernel reads it by address, so it must stay in parameter memory). On AMD an opaque
// stand-in of the same size keeps the kernels' signatures one.
#if defined(NOVA_PLATFORM_NVIDIA)
using TensorMap = CUtensorMap;
#else   // !NOVA_PLATFORM_NVIDIA
struct alignas(64) TensorMap {
  unsigned long long opaque[16];
};
#endif  // NOVA_PLATFORM_NVIDIA
#if defined(__CUDACC__)
#define NOVA_GRID_CONSTANT __grid_constant__
#else  // !__CUDACC__
#define NOVA_GRID_CONSTANT
#endif  // __CUDACC__

// A tensor map over a dense fp16 tensor of 4 dimensions, innermost first (dims; strides in bytes of dims 1–3,
// multiples of 16; base 16-byte aligned), for tensor copies of `box` elements (box[0] · 2 ≤ 32 bytes) that land
// with the 32-byte swizzle (the two 16-byte halves of the 32-byte rows 4–7 of every 8 swapped; the destination
// 256-byte aligned) and read zeros outside the tensor. The driver's encoder is found through the runtime, so the
// addon still links no libcuda.
inline hipError_t encode_fp16_tensor_map_4d(TensorMap* map, const void* base, const std::uint64_t (&dims)[4],
                                            const std::uint64_t (&strides)[3], const std::uint32_t (&box)[4]) {
#if defined(NOVA_PLATFORM_NVIDIA)
  static const auto encode = [] {
    void* function = nullptr;
    cudaDriverEntryPointQueryResult found{};
    return cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &function, 12000, cudaEnableDefault, &found) ==
                       cudaSuccess &&
                   found == cudaDriverEntryPointSuccess
               ? reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(function)
               : nullptr;
  }();
  if (!encode) return cudaErrorNotSupported;
  const std::uint32_t element_strides[4] = {1, 1, 1, 1};
  return encode(map, CU_TENSOR_MAP_DATA_TYPE_FLOAT16, 4, const_cast<void*>(base), dims, strides, box,
                element_strides, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_32B,
                CU_TENSOR_MAP_L2_PROMOTION_L2_128B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS
             ? cudaSuccess
             : cudaErrorInvalidValue;
#else   // !NOVA_PLATFORM_NVIDIA
  (void)map, (void)base, (void)dims, (void)strides, (void)box;
  return hipErrorNotSupported;
#endif  // NOVA_PLATFORM_NVIDIA
}

#if defined(NOVA_ARCH_NV_HOPPER)
namespace cluster {
// Barrier over every thread of the cluster; orders shared-memory writes before it with reads after it.
__device__ inline void sync() { cooperative_groups::this_cluster().sync(); }
// A barrier that orders nothing: for a block that must not leave while others still read its shared memory (their
// loads have returned once their values are used), without waiting for its own device-memory stores as sync() does.
__device__ inline void sync_relaxed() {
  asm volatile("barrier.cluster.arrive.relaxed.aligned;\nbarrier.cluster.wait.aligned;\n" ::: "memory");
}
// The address of `local`'s counterpart in the shared memory of the cluster's block `rank`.
template <class T>
__device__ inline const T* map_rank(const T* local, unsigned rank) {
  return cooperative_groups::this_cluster().map_shared_rank(local, rank);
}
}  // namespace cluster
#endif  // NOVA_ARCH_NV_HOPPER

// Programmatic dependent launch (NVIDIA sm_90+; no-ops elsewhere), for kernels launched with overlap_previous
// (launch_kernel_ex): release() lets the stream's next such kernel start its blocks once every block of this one
// has released or ended; wait() returns once the previous kernel has completed and its writes are visible.
namespace dependent_launch {
__device__ inline void release() {
#if defined(NOVA_ARCH_NV_HOPPER)
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif  // NOVA_ARCH_NV_HOPPER
}
__device__ inline void wait() {
#if defined(NOVA_ARCH_NV_HOPPER)
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif  // NOVA_ARCH_NV_HOPPER
}
}  // namespace dependent_launch

}  // namespace nova

// Throws nova::GpuError when the statement does not return hipSuccess.
#define NOVA_HIP_CHECK(statement)                                                                      \
  do {                                                                                                 \
    const hipError_t nova_status_ = (statement);                                                       \
    if (nova_status_ != hipSuccess)                                                                    \
      throw ::nova::GpuError(nova_status_, ::nova::gpu_error_message(nova_status_, #statement, __FILE__, __LINE__)); \
  } while (0)

// Returns the error code from the enclosing function (which returns hipError_t) when the statement fails.
#define NOVA_HIP_RETURN_IF_ERROR(statement)              \
  do {                                                   \
    const hipError_t nova_status_ = (statement);         \
    if (nova_status_ != hipSuccess) return nova_status_; \
  } while (0)
