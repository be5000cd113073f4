#include "device_context.hpp"

#include <cmath>
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

int device_ordinal_argument(const Napi::CallbackInfo& info, size_t index) {
    Napi::Env env = info.Env();
    const Napi::Value value = info[index];
    if (value.IsUndefined()) return 0;
    NOVA_TYPEERROR_IF(!value.IsNumber(), "Expected an integer device ordinal between 0 and 65535 for device but received a value of type ",
                      type_name(value));
    const double ordinal = value.As<Napi::Number>().DoubleValue();
    NOVA_RANGEERROR_IF(!(ordinal >= 0 && ordinal <= 65535) || ordinal != std::floor(ordinal),
                       "Expected an integer device ordinal between 0 and 65535 for device but received ", ordinal);
    return static_cast<int>(ordinal);
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
