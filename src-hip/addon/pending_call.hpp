// PendingCall: work a call enqueued on the device's stream from the JS thread, and how JS learns it is complete.
// conv2d, the call a model makes per layer, launches on the JS thread (the enqueue takes a few µs) and returns one;
// TS polls it on the event loop for a short while (a batch-1 layer is done within it) and otherwise waits on it
// through wait(), which the environment's waiter thread settles. A pool-thread worker that launches and
// synchronizes costs two thread hops more: on an H100, 35–39 µs a call against 13.5–17 for a 3.5 µs kernel
// (bench/NOTES.md, "conv2d launched on the JS thread").
#pragma once

#include <napi.h>

#include <optional>
#include <string>

#include "../compat/hip_compat.hpp"
#include "device_worker.hpp"

namespace nova {

class CompletionWaiter;

class PendingCall : public Napi::ObjectWrap<PendingCall> {
public:
    static Napi::Function define_class(Napi::Env env);
    // A new, not yet started call named `call_name` (error messages start with it).
    static Napi::Object create(Napi::Env env, const char* call_name);

    explicit PendingCall(const Napi::CallbackInfo& info);
    ~PendingCall() override;

    // JS thread, before start(): the buffers the launches use, released when the call settles.
    BufferPins& pins() { return pins_; }
    // JS thread, after the launches: marks their end on `stream`. Throws nova::GpuError.
    void start(hipStream_t stream);
    // JS thread, from the waiter: the runtime's verdict on the event.
    void finish_wait(hipError_t status);

private:
    enum class State { kNotStarted, kRunning, kWaiting, kDone, kFailed };

    Napi::Value poll(const Napi::CallbackInfo& info);
    Napi::Value wait(const Napi::CallbackInfo& info);
    void settle(hipError_t status);
    void settle_promise(Napi::Env env);  // once settled
    Napi::Error error(Napi::Env env) const;

    std::string call_name_;
    BufferPins pins_;
    hipEvent_t event_ = nullptr;
    State state_ = State::kNotStarted;
    std::string error_message_;
    const char* error_code_ = "E_DEVICE";
    // Made by the first wait(): a Deferred's promise handle lives only in the scope that made it, so the promise is
    // also kept by reference for later wait() calls.
    std::optional<Napi::Promise::Deferred> deferred_;
    Napi::ObjectReference promise_;
    bool promise_settled_ = false;
};

}  // namespace nova
