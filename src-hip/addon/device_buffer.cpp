#include "device_buffer.hpp"

#include <atomic>
#include <cmath>
#include <string>

#include "addon_data.hpp"
#include "device_context.hpp"
#include "device_memory_pool.hpp"
#include "napi_errors.hpp"

namespace nova {

namespace {
// Bytes currently reported to V8 by all DeviceBuffers. V8 keeps its own total private (process.memoryUsage() does
// not show it), so this is what tests and doctor can read back.
std::atomic<int64_t> reported_bytes{0};

void report_external(Napi::Env env, int64_t change) {
    Napi::MemoryManagement::AdjustExternalMemory(env, change);
    reported_bytes += change;
}
}  // namespace

Napi::Value reported_external_bytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(reported_bytes.load()));
}

Napi::Function DeviceBuffer::define_class(Napi::Env env) {
    return DefineClass(env, "DeviceBuffer",
                       {
                           InstanceMethod<&DeviceBuffer::dispose>("dispose"),
                           InstanceAccessor<&DeviceBuffer::get_bytes>("bytes"),
                           InstanceAccessor<&DeviceBuffer::get_device>("device"),
                           InstanceAccessor<&DeviceBuffer::get_disposed>("disposed"),
                       });
}

DeviceBuffer* DeviceBuffer::unwrap(Napi::Env env, Napi::Value value, const char* name) {
    const bool is_buffer =
        value.IsObject() && value.As<Napi::Object>().InstanceOf(addon_data(env).device_buffer_class.Value());
    NOVA_TYPEERROR_IF(!is_buffer, "Expected a DeviceBuffer for ", name, " but received a value of type ", type_name(value));
    return DeviceBuffer::Unwrap(value.As<Napi::Object>());
}

// new DeviceBuffer(bytes, device = 0)
DeviceBuffer::DeviceBuffer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DeviceBuffer>(info) {
    Napi::Env env = info.Env();
    NOVA_TYPEERROR_IF(!info[0].IsNumber(), "Expected an integer number of bytes >= 0 for bytes but received a value of type ",
                      type_name(info[0]));
    const double bytes = info[0].As<Napi::Number>().DoubleValue();
    NOVA_RANGEERROR_IF(!(bytes >= 0) || bytes != std::floor(bytes) || bytes > 9007199254740991.0,
                       "Expected an integer number of bytes >= 0 for bytes but received ", bytes);
    const int device = device_ordinal_argument(info, 1);
    device_ = device;
    bytes_ = static_cast<size_t>(bytes);
    if (bytes_ == 0) return;
    try {
        block_ = pool_allocate(device_, bytes_);
    } catch (const GpuError& error) {
        (void)hipGetLastError();  // allocation failures are not sticky; clear them so later calls start clean
        throw make_js_error(env, error_code_of(error.code()),
                            make_string("cannot allocate ", bytes_, " bytes on device ", device_, ": ", error.what()));
    }
    report_external(env, static_cast<int64_t>(block_.bytes));
    accounted_ = true;
}

DeviceBuffer::~DeviceBuffer() { release(); }

void DeviceBuffer::release() {
    std::lock_guard<std::mutex> lock(mutex_);
    pool_free(device_, block_);
    if (accounted_) {
        report_external(Env(), -static_cast<int64_t>(block_.bytes));
        accounted_ = false;
    }
    block_ = PooledBlock{};
}

void DeviceBuffer::begin_use(Napi::Env env) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (disposed_) throw make_js_error(env, "E_DISPOSED", "DeviceBuffer has been disposed");
    ++in_flight_;
}

void DeviceBuffer::end_use() {
    bool free_now = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        --in_flight_;
        free_now = disposed_ && in_flight_ == 0;
    }
    if (free_now) release();
}

Napi::Value DeviceBuffer::dispose(const Napi::CallbackInfo& info) {
    bool free_now = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!disposed_) {
            disposed_ = true;
            free_now = in_flight_ == 0;
        }
    }
    if (free_now) release();
    return info.Env().Undefined();
}

Napi::Value DeviceBuffer::get_bytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(bytes_));
}

Napi::Value DeviceBuffer::get_device(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), device_); }

Napi::Value DeviceBuffer::get_disposed(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(mutex_);
    return Napi::Boolean::New(info.Env(), disposed_);
}

}  // namespace nova
