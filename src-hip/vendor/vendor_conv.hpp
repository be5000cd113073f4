// One forward convolution through the vendor library (cuDNN or MIOpen), set up for fixed shapes and buffers.
// Only one implementation is compiled per platform: cudnn_conv.cpp on NVIDIA, miopen_conv.cpp on AMD.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "../compat/hip_compat.hpp"
#include "../direct/launch.hpp"

namespace nova {

struct VendorLibrary {
    std::string name;     // "cudnn" / "miopen"
    bool available = false;
    std::string reason;   // why not available: the loader's or the library's own message
    std::string version;  // e.g. "9.19.0"
};

// Loads the library on first call (dlopen + symbol lookup + handle creation on `stream`); never throws.
VendorLibrary vendor_library(hipStream_t stream);

class VendorConv {
public:
    virtual ~VendorConv() = default;
    // The algorithm (and for MIOpen the solver) that the library's own search picked, e.g.
    // "IMPLICIT_PRECOMP_GEMM tensor-op"; and the workspace it needs.
    virtual const std::string& algorithm() const = 0;
    // How it was chosen, for the bench's record: the candidates the choice was made among and their times.
    virtual const std::string& selection() const = 0;
    virtual size_t workspace_bytes() const = 0;
    // Enqueues y = conv(x, w) on the stream given at creation; returns false with `error` set on failure.
    virtual bool run(const void* x, const void* w, void* y, std::string& error) = 0;
};

// One set of a convolution's buffers (the bench rotates over several).
struct VendorBuffers {
    const void* x;
    const void* w;
    void* y;
};

// At least `calls` calls, rounded up to a multiple of the buffer sets, so that a graph of them, replayed, cycles
// through every set and starts each replay on the set used longest ago.
inline int calls_through_every_set(int calls, size_t sets) {
    return static_cast<int>((static_cast<size_t>(calls) + sets - 1) / sets * sets);
}

// Runs the library's search (cuDNN FindEx / MIOpen Find, which time the candidates on the first buffer set) and
// returns a ready convolution, or nullptr with `reason` set. cuDNN's candidates are then timed again with their calls
// rotating over all the sets, as the bench times the chosen one. `nchw` selects NCHW activations and KCRS filters
// instead of NHWC / KRSC. fp16 data, fp32 accumulation, cross-correlation.
std::unique_ptr<VendorConv> make_vendor_conv(const ConvShape& shape, bool nchw, const std::vector<VendorBuffers>& sets,
                                             hipStream_t stream, std::string& reason);

}  // namespace nova
