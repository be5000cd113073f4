// Bench-only exports of the GPU addon: the vendor baseline (cuDNN on NVIDIA, MIOpen on AMD, both loaded with
// dlopen so the addon builds and loads without them) and the timing native that runs our kernels and the vendor's
// on the same buffers. Typed in src-ts/bench/native.ts.
#pragma once

#include <napi.h>

namespace nova {

// Adds vendorInfo() and benchConv(args) to the module's exports (called by the addon's module init).
void register_vendor_exports(Napi::Env env, Napi::Object exports);

}  // namespace nova
