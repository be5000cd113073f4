// Base of the calls that touch the device from a worker thread: an AsyncWorker holding a promise (node-llama-cpp's
// pattern) and the baton of its arguments (sharp's). The constructor phase runs on the JS thread: it checks the
// arguments, pins the DeviceBuffers and host views the call uses, and copies everything the worker needs into plain
// members. run() executes on a libuv thread and touches only those members and the runtime; it enqueues on the
// device's stream and synchronizes that stream before returning, so the promise settles when the device work is
// complete. (conv2d, the call a model makes per layer, enqueues on the JS thread instead: pending_call.hpp.)
#pragma once

#include <napi.h>

#include <string>
#include <utility>
#include <vector>

#include "device_buffer.hpp"
#include "device_memory_pool.hpp"

namespace nova {

// The DeviceBuffers and host views one call uses, kept alive (and buffers undisposed) until it settles. JS thread.
class BufferPins {
public:
    BufferPins() = default;
    BufferPins(const BufferPins&) = delete;
    BufferPins& operator=(const BufferPins&) = delete;
    ~BufferPins() { release(); }

    // The device pointer of the DeviceBuffer in `value`, checked to hold at least `min_bytes`. All buffers of one
    // call share one device.
    void* pin_buffer(Napi::Env env, Napi::Value value, const char* name, size_t min_bytes);
    // The bytes of a TypedArray / DataView / ArrayBuffer.
    std::pair<void*, size_t> pin_host_view(Napi::Env env, Napi::Value value, const char* name);
    void release();
    int device() const { return device_; }

private:
    std::vector<std::pair<Napi::ObjectReference, DeviceBuffer*>> buffers_;
    std::vector<Napi::ObjectReference> views_;
    int device_ = -1;
};

class DeviceWorker : public Napi::AsyncWorker {
public:
    DeviceWorker(Napi::Env env, const char* call_name);

    Napi::Promise promise() { return deferred_.Promise(); }

    // JS thread: BufferPins' for this call, released when it settles.
    void* pin_buffer(Napi::Value value, const char* name, size_t min_bytes) {
        return pins_.pin_buffer(Env(), value, name, min_bytes);
    }
    std::pair<void*, size_t> pin_host_view(Napi::Value value, const char* name) {
        return pins_.pin_host_view(Env(), value, name);
    }

protected:
    virtual void run() = 0;  // worker thread; throws nova::GpuError (NOVA_HIP_CHECK) on failure
    int device() const { return pins_.device(); }

private:
    void Execute() final;
    void OnOK() final;
    void OnError(const Napi::Error& error) final;

    std::string call_name_;
    std::string error_code_ = "E_DEVICE";
    Napi::Promise::Deferred deferred_;
    BufferPins pins_;
};

// Pooled block owned by one worker for an intermediate tensor (layout conversions, on-the-fly filter transforms).
// Given back when the worker's run() ends, even with launches still queued after an error: the next owner's work
// is enqueued on the same stream, after them.
class ScratchBuffer {
public:
    explicit ScratchBuffer(int device) : device_(device) {}
    ScratchBuffer(const ScratchBuffer&) = delete;
    ScratchBuffer& operator=(const ScratchBuffer&) = delete;
    ~ScratchBuffer() { pool_free(device_, block_); }
    void* allocate(size_t bytes);  // once per ScratchBuffer; throws nova::GpuError

private:
    int device_;
    PooledBlock block_;
};

// Constructs a worker (argument checks run in its constructor; if one throws, the half-built worker is deleted,
// which unpins what it pinned), queues it and returns its promise.
template <typename Worker, typename... Args>
Napi::Value start_worker(Args&&... args) {
    Worker* worker = new Worker(std::forward<Args>(args)...);
    Napi::Promise promise = worker->promise();
    worker->Queue();
    return promise;
}

// The exported functions (registered by addon.cpp).
Napi::Value upload(const Napi::CallbackInfo& info);
Napi::Value download(const Napi::CallbackInfo& info);
Napi::Value synchronize(const Napi::CallbackInfo& info);
Napi::Value conv2d(const Napi::CallbackInfo& info);
Napi::Value prepare_filter(const Napi::CallbackInfo& info);
Napi::Value can_implement(const Napi::CallbackInfo& info);
Napi::Value prepared_filter_bytes(const Napi::CallbackInfo& info);
Napi::Value preferred_winograd_m(const Napi::CallbackInfo& info);

}  // namespace nova
