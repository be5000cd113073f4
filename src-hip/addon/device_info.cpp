// deviceInfo() and memoryInfo(): what `nova doctor` and the GPU backend's info() report. Never throws for a
// missing driver or device: that is reported as { available: false, reason } with the runtime's own message.
#include <sstream>
#include <string>

#include "device_context.hpp"
#include "device_memory_pool.hpp"
#include "device_worker.hpp"
#include "napi_errors.hpp"

#ifndef NOVA_COMPILED_ARCHS
#error "NOVA_COMPILED_ARCHS (the device code targets, comma-separated) is defined by CMakeLists.txt"
#endif  // NOVA_COMPILED_ARCHS

namespace nova {

namespace {

// CUDA encodes 1000·major + 10·minor; HIP 10⁷·major + 10⁵·minor + patch.
std::string version_text(int version) {
#if defined(NOVA_PLATFORM_AMD)
    return make_string(version / 10000000, ".", (version / 100000) % 100, ".", version % 100000);
#else  // !NOVA_PLATFORM_AMD
    return make_string(version / 1000, ".", (version % 1000) / 10);
#endif  // NOVA_PLATFORM_AMD
}

Napi::Array compiled_archs(Napi::Env env) {
    Napi::Array list = Napi::Array::New(env);
    std::istringstream archs(NOVA_COMPILED_ARCHS);
    std::string arch;
    uint32_t index = 0;
    while (std::getline(archs, arch, ',')) {
        if (!arch.empty()) list.Set(index++, arch);
    }
    return list;
}

}  // namespace

Napi::Value platform_name(Napi::Env env) {
#if defined(NOVA_PLATFORM_AMD)
    return Napi::String::New(env, "hip");
#else  // !NOVA_PLATFORM_AMD
    return Napi::String::New(env, "cuda");
#endif  // NOVA_PLATFORM_AMD
}

// deviceInfo(device = 0)
Napi::Value device_info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int device = device_ordinal_argument(info, 0);
    Napi::Object result = Napi::Object::New(env);
    result.Set("platform", platform_name(env));
    result.Set("compiledArchs", compiled_archs(env));

    int runtime_version = 0;
    if (hipRuntimeGetVersion(&runtime_version) == hipSuccess) result.Set("runtimeVersion", version_text(runtime_version));
    int driver_version = 0;
    if (hipDriverGetVersion(&driver_version) == hipSuccess && driver_version > 0) {
        result.Set("driverVersion", version_text(driver_version));
    }
    (void)hipGetLastError();

    std::string reason;
    const int count = device_count(reason);
    result.Set("deviceCount", count);
    if (count == 0 || device >= count) {
        result.Set("available", false);
        result.Set("reason", count == 0 ? reason : make_string("device ", device, " requested but ", count, " visible"));
        return result;
    }
    hipDeviceProp_t props{};
    const hipError_t status = hipGetDeviceProperties(&props, device);
    if (status != hipSuccess) {
        (void)hipGetLastError();
        result.Set("available", false);
        result.Set("reason", make_string("hipGetDeviceProperties: ", hipGetErrorString(status)));
        return result;
    }
    result.Set("available", true);
    result.Set("device", device);
    result.Set("name", props.name);
#if defined(NOVA_PLATFORM_AMD)
    result.Set("arch", props.gcnArchName);
#else  // !NOVA_PLATFORM_AMD
    result.Set("arch", make_string("sm_", props.major, props.minor, props.major == 9 ? "a" : ""));
#endif  // NOVA_PLATFORM_AMD
    result.Set("computeCapability", make_string(props.major, ".", props.minor));
    result.Set("multiprocessors", props.multiProcessorCount);
    result.Set("memoryTotalBytes", static_cast<double>(props.totalGlobalMem));
    return result;
}

// memoryInfo(device = 0) → { free, total } bytes as the runtime reports them now, and `pooled`: the bytes of freed
// blocks the addon keeps for reuse (counted as used by the runtime). Throws E_DEVICE.
Napi::Value memory_info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int device = device_ordinal_argument(info, 0);
    size_t free_bytes = 0, total_bytes = 0;
    try {
        NOVA_HIP_CHECK(hipSetDevice(device));
        NOVA_HIP_CHECK(hipMemGetInfo(&free_bytes, &total_bytes));
    } catch (const GpuError& error) {
        (void)hipGetLastError();
        throw make_js_error(env, error_code_of(error.code()), make_string("memoryInfo: ", error.what()));
    }
    Napi::Object result = Napi::Object::New(env);
    result.Set("free", static_cast<double>(free_bytes));
    result.Set("total", static_cast<double>(total_bytes));
    result.Set("pooled", static_cast<double>(pooled_bytes(device)));
    return result;
}

// releasePooledMemory(device = 0) → bytes given back to the runtime. Blocks in use stay; waits for the device to
// be idle (hipFree), so the GPU backend calls it when a device is disposed, not per call.
Napi::Value release_pooled_memory_export(const Napi::CallbackInfo& info) {
    const int device = device_ordinal_argument(info, 0);
    return Napi::Number::New(info.Env(), static_cast<double>(release_pooled_memory(device)));
}

}  // namespace nova
