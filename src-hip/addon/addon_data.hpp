// Per-environment state of the addon (one per Node environment, so worker_threads each get their own).
#pragma once

#include <napi.h>

#include <memory>

namespace nova {

class CompletionWaiter;  // pending_call.cpp

struct AddonData {
    Napi::FunctionReference device_buffer_class;
    Napi::FunctionReference pending_call_class;
    std::shared_ptr<CompletionWaiter> completion_waiter;  // started by the first PendingCall.wait()
};

inline AddonData& addon_data(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

}  // namespace nova
