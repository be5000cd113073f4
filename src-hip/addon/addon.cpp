// nova_gpu.node: module init. The typed surface of these exports is src-ts/binding/gpu-native.ts.
#include <napi.h>

#include "addon_data.hpp"
#include "device_buffer.hpp"
#include "device_worker.hpp"
#include "pending_call.hpp"
#include "../graph/graph_exports.hpp"

#if defined(NOVA_HAS_VENDOR_EXPORTS)
#include "../vendor/vendor_exports.hpp"
#endif  // NOVA_HAS_VENDOR_EXPORTS

namespace nova {
Napi::Value device_info(const Napi::CallbackInfo& info);
Napi::Value memory_info(const Napi::CallbackInfo& info);
Napi::Value release_pooled_memory_export(const Napi::CallbackInfo& info);
Napi::Value platform_name(Napi::Env env);
}  // namespace nova

namespace {

// What src-ts/binding/gpu-native.ts expects (INTERFACE_VERSION there); bumped whenever an export changes how it is
// called. 2: conv2d returns a PendingCall.
constexpr int kInterfaceVersion = 2;

Napi::Object init(Napi::Env env, Napi::Object exports) {
    auto* data = new nova::AddonData();
    Napi::Function buffer_class = nova::DeviceBuffer::define_class(env);
    data->device_buffer_class = Napi::Persistent(buffer_class);
    data->pending_call_class = Napi::Persistent(nova::PendingCall::define_class(env));
    env.SetInstanceData(data);

    exports.Set("platform", nova::platform_name(env));
    exports.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
    exports.Set("interfaceVersion", Napi::Number::New(env, kInterfaceVersion));
    exports.Set("DeviceBuffer", buffer_class);
    exports.Set("reportedExternalBytes", Napi::Function::New<nova::reported_external_bytes>(env, "reportedExternalBytes"));
    exports.Set("deviceInfo", Napi::Function::New<nova::device_info>(env, "deviceInfo"));
    exports.Set("memoryInfo", Napi::Function::New<nova::memory_info>(env, "memoryInfo"));
    exports.Set("releasePooledMemory",
                Napi::Function::New<nova::release_pooled_memory_export>(env, "releasePooledMemory"));
    exports.Set("upload", Napi::Function::New<nova::upload>(env, "upload"));
    exports.Set("download", Napi::Function::New<nova::download>(env, "download"));
    exports.Set("synchronize", Napi::Function::New<nova::synchronize>(env, "synchronize"));
    exports.Set("canImplement", Napi::Function::New<nova::can_implement>(env, "canImplement"));
    exports.Set("preferredWinogradM", Napi::Function::New<nova::preferred_winograd_m>(env, "preferredWinogradM"));
    exports.Set("preparedFilterBytes", Napi::Function::New<nova::prepared_filter_bytes>(env, "preparedFilterBytes"));
    exports.Set("prepareFilter", Napi::Function::New<nova::prepare_filter>(env, "prepareFilter"));
    exports.Set("conv2d", Napi::Function::New<nova::conv2d>(env, "conv2d"));
    nova::register_graph_exports(env, exports);
#if defined(NOVA_HAS_VENDOR_EXPORTS)
    nova::register_vendor_exports(env, exports);
#endif  // NOVA_HAS_VENDOR_EXPORTS
    return exports;
}

}  // namespace

NODE_API_MODULE(nova_gpu, init)
