#include "device_worker.hpp"

#include <exception>

#include "device_context.hpp"
#include "napi_errors.hpp"

namespace nova {

DeviceWorker::DeviceWorker(Napi::Env env, const char* call_name)
    : Napi::AsyncWorker(env, call_name), call_name_(call_name), deferred_(Napi::Promise::Deferred::New(env)) {}

void* BufferPins::pin_buffer(Napi::Env env, Napi::Value value, const char* name, size_t min_bytes) {
    DeviceBuffer* buffer = DeviceBuffer::unwrap(env, value, name);
    NOVA_RANGEERROR_IF(buffer->bytes() < min_bytes, "Expected a DeviceBuffer of at least ", min_bytes, " bytes for ",
                       name, " but received one of ", buffer->bytes(), " bytes");
    NOVA_RANGEERROR_IF(device_ >= 0 && buffer->device() != device_, "Expected ", name, " on device ", device_,
                       " like the other buffers of this call but it is on device ", buffer->device());
    buffer->begin_use(env);  // throws E_DISPOSED
    buffers_.emplace_back(Napi::Persistent(value.As<Napi::Object>()), buffer);
    device_ = buffer->device();
    return buffer->data();
}

std::pair<void*, size_t> BufferPins::pin_host_view(Napi::Env env, Napi::Value value, const char* name) {
    void* data = nullptr;
    size_t bytes = 0;
    if (value.IsTypedArray()) {
        Napi::TypedArray view = value.As<Napi::TypedArray>();
        data = static_cast<char*>(view.ArrayBuffer().Data()) + view.ByteOffset();
        bytes = view.ByteLength();
    } else if (value.IsDataView()) {
        Napi::DataView view = value.As<Napi::DataView>();
        data = static_cast<char*>(view.ArrayBuffer().Data()) + view.ByteOffset();
        bytes = view.ByteLength();
    } else if (value.IsArrayBuffer()) {
        Napi::ArrayBuffer buffer = value.As<Napi::ArrayBuffer>();
        data = buffer.Data();
        bytes = buffer.ByteLength();
    } else {
        NOVA_TYPEERROR_IF(true, "Expected a TypedArray, DataView or ArrayBuffer for ", name, " but received a value of type ",
                          type_name(value));
    }
    views_.push_back(Napi::Persistent(value.As<Napi::Object>()));
    return {data, bytes};
}

void BufferPins::release() {
    for (auto& [reference, buffer] : buffers_) buffer->end_use();
    buffers_.clear();
    views_.clear();
}

void DeviceWorker::Execute() {
    try {
        run();
        return;
    } catch (const GpuError& error) {
        (void)hipGetLastError();  // leave no stale error for the next call on this thread
        error_code_ = error_code_of(error.code());
        SetError(call_name_ + ": " + error.what());
    } catch (const std::exception& error) {
        SetError(call_name_ + ": " + error.what());
    } catch (...) {
        SetError(call_name_ + ": unknown native exception");
    }
}

void DeviceWorker::OnOK() {
    pins_.release();
    deferred_.Resolve(Env().Undefined());
}

void DeviceWorker::OnError(const Napi::Error& error) {
    pins_.release();
    deferred_.Reject(make_js_error(Env(), error_code_.c_str(), error.Message()).Value());
}

void* ScratchBuffer::allocate(size_t bytes) {
    block_ = pool_allocate(device_, bytes);
    return block_.data;
}

namespace {

class CopyWorker final : public DeviceWorker {
public:
    // upload(buffer, view): host → device; download(buffer, view): device → host. view.byteLength bytes, from
    // the start of the buffer.
    CopyWorker(const Napi::CallbackInfo& info, bool to_device)
        : DeviceWorker(info.Env(), to_device ? "upload" : "download"), to_device_(to_device) {
        auto [host, bytes] = pin_host_view(info[1], "view");
        host_ = host;
        bytes_ = bytes;
        device_data_ = pin_buffer(info[0], "buffer", bytes);
    }

private:
    void run() override {
        if (bytes_ == 0) return;
        hipStream_t stream = device_stream(device());
        if (to_device_) {
            NOVA_HIP_CHECK(hipMemcpyAsync(device_data_, host_, bytes_, hipMemcpyHostToDevice, stream));
        } else {
            NOVA_HIP_CHECK(hipMemcpyAsync(host_, device_data_, bytes_, hipMemcpyDeviceToHost, stream));
        }
        NOVA_HIP_CHECK(hipStreamSynchronize(stream));
    }

    bool to_device_;
    void* host_ = nullptr;
    void* device_data_ = nullptr;
    size_t bytes_ = 0;
};

class SynchronizeWorker final : public DeviceWorker {
public:
    SynchronizeWorker(Napi::Env env, int ordinal) : DeviceWorker(env, "synchronize"), ordinal_(ordinal) {}

private:
    void run() override { NOVA_HIP_CHECK(hipStreamSynchronize(device_stream(ordinal_))); }
    int ordinal_;
};

}  // namespace

Napi::Value upload(const Napi::CallbackInfo& info) { return start_worker<CopyWorker>(info, true); }

Napi::Value download(const Napi::CallbackInfo& info) { return start_worker<CopyWorker>(info, false); }

// synchronize(device = 0): resolves once everything queued on the device's stream is done.
Napi::Value synchronize(const Napi::CallbackInfo& info) {
    return start_worker<SynchronizeWorker>(info.Env(), device_ordinal_argument(info, 0));
}

}  // namespace nova
