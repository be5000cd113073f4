#include "pending_call.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "addon_data.hpp"
#include "napi_errors.hpp"

namespace nova {

// One thread per environment that blocks on the events of waited-for calls, in order, and hands each verdict to
// the JS thread through a thread-safe function. Referenced (keeping the event loop alive) only while calls wait.
class CompletionWaiter {
public:
    explicit CompletionWaiter(Napi::Env env) : env_(env) {
        napi_value name;
        NAPI_THROW_IF_FAILED_VOID(env, napi_create_string_utf8(env, "nova.completion", NAPI_AUTO_LENGTH, &name));
        NAPI_THROW_IF_FAILED_VOID(env, napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr,
                                                                       nullptr, nullptr, deliver, &to_js_));
        NAPI_THROW_IF_FAILED_VOID(env, napi_unref_threadsafe_function(env, to_js_));
        // Registered after the thread-safe function, so it runs before that function is torn down (hooks run in
        // reverse order): the thread is gone before anything it calls is.
        NAPI_THROW_IF_FAILED_VOID(env, napi_add_env_cleanup_hook(env, stop, this));
        thread_ = std::thread([this] { run(); });
    }

    ~CompletionWaiter() {
        if (thread_.joinable()) stop(this);
    }

    // JS thread: `call` (kept alive by its caller until finish_wait) is settled when `event` completes.
    void submit(PendingCall* call, hipEvent_t event) {
        if (waiting_++ == 0) napi_ref_threadsafe_function(env_, to_js_);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            jobs_.push_back({call, event});
        }
        ready_.notify_one();
    }

private:
    struct Job {
        PendingCall* call;
        hipEvent_t event;
    };
    struct Verdict {
        CompletionWaiter* waiter;
        PendingCall* call;
        hipError_t status;
    };

    void run() {
        for (;;) {
            Job job;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
                if (jobs_.empty()) return;
                job = jobs_.front();
                jobs_.pop_front();
            }
            const hipError_t status = hipEventSynchronize(job.event);
            if (status != hipSuccess) (void)hipGetLastError();
            Verdict* verdict = new Verdict{this, job.call, status};
            // Refused only once the environment is closing: nobody is left to tell.
            if (napi_call_threadsafe_function(to_js_, verdict, napi_tsfn_blocking) != napi_ok) delete verdict;
        }
    }

    static void deliver(napi_env env, napi_value, void*, void* data) {
        Verdict* verdict = static_cast<Verdict*>(data);
        if (env != nullptr) {  // null while the environment is torn down: nobody is left to tell
            verdict->call->finish_wait(verdict->status);
            if (--verdict->waiter->waiting_ == 0) napi_unref_threadsafe_function(env, verdict->waiter->to_js_);
        }
        delete verdict;
    }

    static void stop(void* data) {
        CompletionWaiter* waiter = static_cast<CompletionWaiter*>(data);
        {
            std::lock_guard<std::mutex> lock(waiter->mutex_);
            waiter->stopping_ = true;
        }
        waiter->ready_.notify_one();
        waiter->thread_.join();
    }

    napi_env env_;
    napi_threadsafe_function to_js_ = nullptr;
    int waiting_ = 0;  // JS thread
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Job> jobs_;
    bool stopping_ = false;
    std::thread thread_;
};

Napi::Function PendingCall::define_class(Napi::Env env) {
    return DefineClass(env, "PendingCall",
                       {InstanceMethod<&PendingCall::poll>("poll"), InstanceMethod<&PendingCall::wait>("wait")});
}

Napi::Object PendingCall::create(Napi::Env env, const char* call_name) {
    Napi::Object object = addon_data(env).pending_call_class.New({});
    Unwrap(object)->call_name_ = call_name;
    return object;
}

PendingCall::PendingCall(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PendingCall>(info) {}

PendingCall::~PendingCall() {
    // Collected while running (nobody polled it to the end): the buffers stay pinned until the device is done.
    if (state_ == State::kRunning) (void)hipEventSynchronize(event_);
    if (event_ != nullptr) (void)hipEventDestroy(event_);
}

void PendingCall::start(hipStream_t stream) {
    NOVA_HIP_CHECK(hipEventCreateWithFlags(&event_, hipEventDisableTiming | hipEventBlockingSync));
    NOVA_HIP_CHECK(hipEventRecord(event_, stream));
    state_ = State::kRunning;
}

void PendingCall::settle(hipError_t status) {
    pins_.release();
    // Destroyed now, not when the object is collected: thousands of calls may run between two collections.
    (void)hipEventDestroy(event_);
    event_ = nullptr;
    if (status == hipSuccess) {
        state_ = State::kDone;
        return;
    }
    state_ = State::kFailed;
    error_code_ = error_code_of(status);
    error_message_ = make_string(call_name_, ": ", hipGetErrorString(status));
}

Napi::Error PendingCall::error(Napi::Env env) const { return make_js_error(env, error_code_, error_message_); }

// poll() → true once the device work is complete (its buffers are then released), false while it runs; throws the
// runtime's error (code E_DEVICE / E_OOM) if the work failed. After wait(), false until that settles.
Napi::Value PendingCall::poll(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (state_ == State::kRunning) {
        const hipError_t status = hipEventQuery(event_);
        if (status == hipErrorNotReady) return Napi::Boolean::New(env, false);
        if (status != hipSuccess) (void)hipGetLastError();
        settle(status);
    }
    if (state_ == State::kFailed) throw error(env);
    return Napi::Boolean::New(env, state_ == State::kDone);
}

// wait() → a promise that settles when the device work does (the environment's waiter thread blocks on it).
Napi::Value PendingCall::wait(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!deferred_) {
        deferred_.emplace(Napi::Promise::Deferred::New(env));
        promise_ = Napi::Persistent(deferred_->Promise().As<Napi::Object>());
    }
    if (state_ == State::kRunning) {
        AddonData& data = addon_data(env);
        if (!data.completion_waiter) data.completion_waiter = std::make_shared<CompletionWaiter>(env);
        state_ = State::kWaiting;
        Ref();  // alive until finish_wait
        data.completion_waiter->submit(this, event_);
    } else if (state_ == State::kDone || state_ == State::kFailed) {
        settle_promise(env);
    }
    return promise_.Value();
}

void PendingCall::finish_wait(hipError_t status) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    settle(status);
    settle_promise(env);
    Unref();
}

void PendingCall::settle_promise(Napi::Env env) {
    if (promise_settled_) return;
    promise_settled_ = true;
    if (state_ == State::kDone) {
        deferred_->Resolve(env.Undefined());
    } else {
        deferred_->Reject(error(env).Value());
    }
}

}  // namespace nova
