// Device memory for DeviceBuffers and the workers' scratch tensors, cached per device.
//
// Why: hipMalloc costs microseconds and hipFree waits until the whole device is idle, so a conv2d through the API,
// which allocates its output and frees it on dispose(), paid both on the JS thread on every call. A freed block is
// kept in a free list of its size class and handed out again.
//
// Why reuse needs no event: every kernel and copy of the addon is enqueued on the device's one stream
// (device_stream), so the work enqueued on a block before it was freed runs before any work its next owner enqueues.
//
// Cached blocks go back to the runtime through release_pooled_memory (the GPU backend calls it when a device is
// disposed), when an allocation fails for lack of memory, and at once for a freed block that would take the cache
// over kMaxPooledBytes (so the cache never holds much memory that cuDNN or the graph executor might need).
// NOVA_GPU_POOL=off turns the cache off (every allocation a hipMalloc, every free a hipFree), to compare.
#pragma once

#include <cstddef>

namespace nova {

struct PooledBlock {
    void* data = nullptr;
    size_t bytes = 0;  // bytes reserved: the request rounded up to its size class
};

// Throws nova::GpuError; out of memory only after releasing the cache and trying once more.
PooledBlock pool_allocate(int device, size_t bytes);
// Never throws. `block` comes from pool_allocate on the same device (an empty block is ignored).
void pool_free(int device, PooledBlock block) noexcept;
// hipFree of every cached block of `device` (waits for the device to be idle); returns the bytes released.
size_t release_pooled_memory(int device);
// Bytes cached on `device`: freed, not yet reused or released.
size_t pooled_bytes(int device);
bool pool_enabled();

}  // namespace nova
