// DeviceBuffer: one block of device memory (device_memory_pool.hpp) owned by a JS object. The bytes it reserves are
// reported to V8 (AdjustExternalMemory), so the GC sees the pressure; dispose() gives the block back now (to the
// pool, never waiting for the device), the finalizer is only a safety net. Pooled blocks are not reported: no JS
// object holds them.
// Workers pin a buffer with begin_use()/end_use() on the JS thread: dispose() during a running call marks the
// buffer disposed at once and frees it when the last call using it settles.
#pragma once

#include <napi.h>

#include <cstddef>
#include <mutex>

#include "device_memory_pool.hpp"

namespace nova {

class DeviceBuffer : public Napi::ObjectWrap<DeviceBuffer> {
public:
    static Napi::Function define_class(Napi::Env env);
    // The DeviceBuffer behind `value`, or a TypeError naming `name`; E_DISPOSED error if it was disposed.
    static DeviceBuffer* unwrap(Napi::Env env, Napi::Value value, const char* name);

    explicit DeviceBuffer(const Napi::CallbackInfo& info);
    ~DeviceBuffer() override;

    void* data() const { return block_.data; }
    size_t bytes() const { return bytes_; }  // as requested; the block may be larger
    int device() const { return device_; }

    // JS thread only. begin_use throws E_DISPOSED when the buffer is already disposed.
    void begin_use(Napi::Env env);
    void end_use();

private:
    Napi::Value dispose(const Napi::CallbackInfo& info);
    Napi::Value get_bytes(const Napi::CallbackInfo& info);
    Napi::Value get_device(const Napi::CallbackInfo& info);
    Napi::Value get_disposed(const Napi::CallbackInfo& info);
    void release();

    std::mutex mutex_;
    PooledBlock block_;
    size_t bytes_ = 0;
    int device_ = 0;
    int in_flight_ = 0;
    bool disposed_ = false;
    bool accounted_ = false;  // block_.bytes currently reported to V8
};

// reportedExternalBytes(): the bytes all live DeviceBuffers currently report to V8.
Napi::Value reported_external_bytes(const Napi::CallbackInfo& info);

}  // namespace nova
