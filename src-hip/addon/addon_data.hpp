// Per-environment state of the addon (one per Node environment, so worker_threads each get their own).
#pragma once

#include <napi.h>

namespace nova {

struct AddonData {
    Napi::FunctionReference device_buffer_class;
};

inline AddonData& addon_data(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

}  // namespace nova
