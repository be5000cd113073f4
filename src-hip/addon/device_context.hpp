// One stream per device, created on first use and kept for the life of the process. Every call of the addon on
// that device runs on it, so calls are ordered among themselves and each worker synchronizes only its stream.
#pragma once

#include <napi.h>

#include <string>

#include "../compat/hip_compat.hpp"

namespace nova {

// Makes `device` current on the calling thread and returns its stream. Throws nova::GpuError.
hipStream_t device_stream(int device);

// Number of visible devices; 0 with `reason` set when the runtime or driver is missing.
int device_count(std::string& reason);

// The optional device ordinal argument info[index], 0 when absent; TypeError / RangeError otherwise. Whether the
// device exists is the runtime's to say (an E_DEVICE error later).
int device_ordinal_argument(const Napi::CallbackInfo& info, size_t index);

}  // namespace nova
