#include "device_memory_pool.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "../compat/hip_compat.hpp"

namespace nova {

namespace {

constexpr size_t kMaxPooledBytes = size_t{2} << 30;  // per device
constexpr size_t kSmallestBlock = 512;

// Four classes per power of two (1.25, 1.5, 1.75, 2 × 2^k), so at most a fifth of a block is slack while blocks of
// nearby sizes (the outputs of one layer at different batch sizes) still share a free list.
size_t size_class(size_t bytes) {
    if (bytes <= kSmallestBlock) return kSmallestBlock;
    const int log2_floor = 63 - __builtin_clzll(static_cast<unsigned long long>(bytes - 1));
    const size_t step = size_t{1} << (log2_floor - 2);
    return (bytes + step - 1) / step * step;
}

struct DevicePool {
    std::mutex mutex;
    std::unordered_map<size_t, std::vector<void*>> free_blocks;  // by size class
    size_t pooled = 0;
};

// Deliberately never destroyed: finalizers of DeviceBuffers may still free blocks while the process exits.
std::mutex& pools_mutex = *new std::mutex;
std::vector<std::unique_ptr<DevicePool>>& pools = *new std::vector<std::unique_ptr<DevicePool>>;

DevicePool& pool_of(int device) {
    std::lock_guard<std::mutex> lock(pools_mutex);
    const size_t index = static_cast<size_t>(device);
    if (index >= pools.size()) pools.resize(index + 1);
    if (!pools[index]) pools[index] = std::make_unique<DevicePool>();
    return *pools[index];
}

void free_to_runtime(int device, void* data) noexcept {
    // A failure here (e.g. the runtime already torn down at exit) leaves nothing to recover.
    (void)hipSetDevice(device);
    (void)hipFree(data);
    (void)hipGetLastError();
}

}  // namespace

bool pool_enabled() {
    static const bool enabled = [] {
        const char* setting = std::getenv("NOVA_GPU_POOL");
        return setting == nullptr || std::strcmp(setting, "off") != 0;
    }();
    return enabled;
}

PooledBlock pool_allocate(int device, size_t bytes) {
    const size_t reserved = pool_enabled() ? size_class(bytes) : bytes;
    if (pool_enabled()) {
        DevicePool& pool = pool_of(device);
        std::lock_guard<std::mutex> lock(pool.mutex);
        auto found = pool.free_blocks.find(reserved);
        if (found != pool.free_blocks.end() && !found->second.empty()) {
            void* data = found->second.back();
            found->second.pop_back();
            pool.pooled -= reserved;
            return {data, reserved};
        }
    }
    NOVA_HIP_CHECK(hipSetDevice(device));
    void* data = nullptr;
    hipError_t status = hipMalloc(&data, reserved);
    if (status == hipErrorOutOfMemory && release_pooled_memory(device) > 0) {
        (void)hipGetLastError();
        status = hipMalloc(&data, reserved);
    }
    if (status != hipSuccess) throw GpuError(status, gpu_error_message(status, "hipMalloc", __FILE__, __LINE__));
    return {data, reserved};
}

void pool_free(int device, PooledBlock block) noexcept {
    if (block.data == nullptr) return;
    if (pool_enabled()) {
        DevicePool& pool = pool_of(device);
        std::lock_guard<std::mutex> lock(pool.mutex);
        if (pool.pooled + block.bytes <= kMaxPooledBytes) {
            try {
                pool.free_blocks[block.bytes].push_back(block.data);
                pool.pooled += block.bytes;
                return;
            } catch (...) {
                // no host memory for the list entry: give the block back to the runtime below
            }
        }
    }
    free_to_runtime(device, block.data);
}

size_t release_pooled_memory(int device) {
    if (!pool_enabled()) return 0;
    std::unordered_map<size_t, std::vector<void*>> released;
    size_t released_bytes = 0;
    {
        DevicePool& pool = pool_of(device);
        std::lock_guard<std::mutex> lock(pool.mutex);
        released.swap(pool.free_blocks);
        released_bytes = pool.pooled;
        pool.pooled = 0;
    }
    for (auto& [bytes, blocks] : released) {
        for (void* data : blocks) free_to_runtime(device, data);
    }
    return released_bytes;
}

size_t pooled_bytes(int device) {
    if (!pool_enabled()) return 0;
    DevicePool& pool = pool_of(device);
    std::lock_guard<std::mutex> lock(pool.mutex);
    return pool.pooled;
}

}  // namespace nova
