#include "device_context.hpp"

#include <mutex>
#include <string>
#include <vector>

#include "napi_errors.hpp"

namespace nova {

namespace {
std::mutex streams_mutex;
std::vector<hipStream_t> streams;  // index = device ordinal; nullptr until first use
}  // namespace

hipStream_t device_stream(int device) {
    NOVA_HIP_CHECK(hipSetDevice(device));
    std::lock_guard<std::mutex> lock(streams_mutex);
    if (static_cast<size_t>(device) >= streams.size()) streams.resize(static_cast<size_t>(device) + 1, nullptr);
    if (streams[static_cast<size_t>(device)] == nullptr) {
        hipStream_t stream = nullptr;
        NOVA_HIP_CHECK(hipStreamCreate(&stream));
        streams[static_cast<size_t>(device)] = stream;
    }
    return streams[static_cast<size_t>(device)];
}

int device_count(std::string& reason) {
    int count = 0;
    const hipError_t status = hipGetDeviceCount(&count);
    if (status != hipSuccess) {
        (void)hipGetLastError();
        reason = hipGetErrorString(status);
        return 0;
    }
    if (count == 0) reason = "the runtime reports no GPU device";
    return count;
}

}  // namespace nova
