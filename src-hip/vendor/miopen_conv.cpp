// MIOpen baseline, loaded at run time with dlopen("libMIOpen.so.1"), with our own declarations of the few entry
// points we call (MIOpen 2.x/3.x C API). Compiled by CI under hipcc; it has NOT been executed here: no AMD GPU was
// available to this project (README). Find runs MIOpen's search on the real buffers; the solver that won is reported
// by its id (MIOpen has no public id → name call; MIOPEN_LOG_LEVEL=5 prints the names).
#include "vendor_conv.hpp"

#if defined(NOVA_PLATFORM_AMD)

#include <dlfcn.h>

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <vector>

namespace nova {
namespace {

using miopenStatus_t = int;
using miopenHandle_t = struct miopenHandle*;
using miopenTensorDescriptor_t = struct miopenTensorDescriptor*;
using miopenConvolutionDescriptor_t = struct miopenConvolutionDescriptor*;
constexpr miopenStatus_t kMiopenSuccess = 0;
constexpr int kMiopenHalf = 0;
constexpr int kMiopenConvolution = 0;  // cross-correlation

struct miopenConvAlgoPerf_t {
    int fwd_algo;  // a union of the three directions' enums in MIOpen; forward here
    float time;    // ms
    size_t memory;
};
struct miopenConvSolution_t {
    float time;
    size_t workspace_size;
    uint64_t solution_id;
    int algorithm;
};

const char* fwd_algo_name(int algo) {
    switch (algo) {
        case 0: return "GEMM";
        case 1: return "Direct";
        case 2: return "FFT";
        case 3: return "Winograd";
        case 5: return "ImplicitGEMM";
        default: return "algo?";
    }
}

struct MiopenApi {
    miopenStatus_t (*GetVersion)(size_t*, size_t*, size_t*);
    const char* (*GetErrorString)(miopenStatus_t);
    miopenStatus_t (*CreateWithStream)(miopenHandle_t*, hipStream_t);
    miopenStatus_t (*SetStream)(miopenHandle_t, hipStream_t);
    miopenStatus_t (*CreateTensorDescriptor)(miopenTensorDescriptor_t*);
    miopenStatus_t (*SetTensorDescriptor)(miopenTensorDescriptor_t, int dtype, int dims, const int* lens,
                                          const int* strides);
    miopenStatus_t (*DestroyTensorDescriptor)(miopenTensorDescriptor_t);
    miopenStatus_t (*CreateConvolutionDescriptor)(miopenConvolutionDescriptor_t*);
    miopenStatus_t (*InitConvolutionDescriptor)(miopenConvolutionDescriptor_t, int mode, int pad_h, int pad_w,
                                                int stride_h, int stride_w, int dil_h, int dil_w);
    miopenStatus_t (*DestroyConvolutionDescriptor)(miopenConvolutionDescriptor_t);
    miopenStatus_t (*ConvolutionForwardGetWorkSpaceSize)(miopenHandle_t, miopenTensorDescriptor_t w,
                                                         miopenTensorDescriptor_t x, miopenConvolutionDescriptor_t,
                                                         miopenTensorDescriptor_t y, size_t*);
    miopenStatus_t (*FindConvolutionForwardAlgorithm)(miopenHandle_t, miopenTensorDescriptor_t, const void*,
                                                      miopenTensorDescriptor_t, const void*,
                                                      miopenConvolutionDescriptor_t, miopenTensorDescriptor_t, void*,
                                                      int requested, int* returned, miopenConvAlgoPerf_t*, void*,
                                                      size_t, bool exhaustive);
    miopenStatus_t (*ConvolutionForward)(miopenHandle_t, const void* alpha, miopenTensorDescriptor_t, const void*,
                                         miopenTensorDescriptor_t, const void*, miopenConvolutionDescriptor_t,
                                         int algo, const void* beta, miopenTensorDescriptor_t, void*, void*, size_t);
    miopenStatus_t (*ConvolutionForwardGetSolution)(miopenHandle_t, miopenTensorDescriptor_t w,
                                                    miopenTensorDescriptor_t x, miopenConvolutionDescriptor_t,
                                                    miopenTensorDescriptor_t y, size_t max, size_t* count,
                                                    miopenConvSolution_t*);
};

std::mutex api_mutex;
bool api_tried = false;
MiopenApi api{};
miopenHandle_t handle = nullptr;
VendorLibrary library{"miopen", false, "", ""};

template <typename F>
bool resolve(void* lib, const char* name, F& fn, std::string& reason) {
    fn = reinterpret_cast<F>(dlsym(lib, name));
    if (fn == nullptr && reason.empty()) reason = std::string("libMIOpen.so.1 lacks ") + name;
    return fn != nullptr;
}

void load(hipStream_t stream) {
    if (api_tried) return;
    api_tried = true;
    void* lib = dlopen("libMIOpen.so.1", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
        const char* error = dlerror();
        library.reason = std::string("dlopen(\"libMIOpen.so.1\") failed: ") + (error ? error : "unknown error");
        return;
    }
    std::string& reason = library.reason;
    bool ok = resolve(lib, "miopenGetVersion", api.GetVersion, reason) &&
              resolve(lib, "miopenGetErrorString", api.GetErrorString, reason) &&
              resolve(lib, "miopenCreateWithStream", api.CreateWithStream, reason) &&
              resolve(lib, "miopenSetStream", api.SetStream, reason) &&
              resolve(lib, "miopenCreateTensorDescriptor", api.CreateTensorDescriptor, reason) &&
              resolve(lib, "miopenSetTensorDescriptor", api.SetTensorDescriptor, reason) &&
              resolve(lib, "miopenDestroyTensorDescriptor", api.DestroyTensorDescriptor, reason) &&
              resolve(lib, "miopenCreateConvolutionDescriptor", api.CreateConvolutionDescriptor, reason) &&
              resolve(lib, "miopenInitConvolutionDescriptor", api.InitConvolutionDescriptor, reason) &&
              resolve(lib, "miopenDestroyConvolutionDescriptor", api.DestroyConvolutionDescriptor, reason) &&
              resolve(lib, "miopenConvolutionForwardGetWorkSpaceSize", api.ConvolutionForwardGetWorkSpaceSize, reason) &&
              resolve(lib, "miopenFindConvolutionForwardAlgorithm", api.FindConvolutionForwardAlgorithm, reason) &&
              resolve(lib, "miopenConvolutionForward", api.ConvolutionForward, reason) &&
              resolve(lib, "miopenConvolutionForwardGetSolution", api.ConvolutionForwardGetSolution, reason);
    if (!ok) return;
    size_t major = 0, minor = 0, patch = 0;
    if (api.GetVersion(&major, &minor, &patch) == kMiopenSuccess) {
        library.version = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
    }
    const miopenStatus_t status = api.CreateWithStream(&handle, stream);
    if (status != kMiopenSuccess) {
        library.reason = std::string("miopenCreateWithStream failed: ") + api.GetErrorString(status);
        handle = nullptr;
        return;
    }
    library.available = true;
}

// MIOpen takes lengths in N, C, H, W order and the memory order from the strides.
bool set_tensor(miopenTensorDescriptor_t desc, int n, int c, int h, int w, bool nchw, std::string& reason) {
    const int lens[4] = {n, c, h, w};
    const int nchw_strides[4] = {c * h * w, h * w, w, 1};
    const int nhwc_strides[4] = {h * w * c, 1, w * c, c};
    const miopenStatus_t status = api.SetTensorDescriptor(desc, kMiopenHalf, 4, lens, nchw ? nchw_strides : nhwc_strides);
    if (status == kMiopenSuccess) return true;
    reason = std::string("miopenSetTensorDescriptor: ") + api.GetErrorString(status);
    return false;
}

class MiopenConv final : public VendorConv {
public:
    ~MiopenConv() override {
        if (x_desc_) api.DestroyTensorDescriptor(x_desc_);
        if (y_desc_) api.DestroyTensorDescriptor(y_desc_);
        if (w_desc_) api.DestroyTensorDescriptor(w_desc_);
        if (conv_desc_) api.DestroyConvolutionDescriptor(conv_desc_);
        if (workspace_) (void)hipFree(workspace_);
    }

    bool init(const ConvShape& s, bool nchw, const void* x, const void* w, void* y, hipStream_t stream,
              std::string& reason) {
        if (!check(api.SetStream(handle, stream), "miopenSetStream", reason) ||
            !check(api.CreateTensorDescriptor(&x_desc_), "miopenCreateTensorDescriptor", reason) ||
            !check(api.CreateTensorDescriptor(&y_desc_), "miopenCreateTensorDescriptor", reason) ||
            !check(api.CreateTensorDescriptor(&w_desc_), "miopenCreateTensorDescriptor", reason) ||
            !check(api.CreateConvolutionDescriptor(&conv_desc_), "miopenCreateConvolutionDescriptor", reason) ||
            !set_tensor(x_desc_, s.n, s.c, s.h, s.w, nchw, reason) ||
            !set_tensor(y_desc_, s.n, s.k, s.out_h, s.out_w, nchw, reason) ||
            !set_tensor(w_desc_, s.k, s.c, s.r, s.s, nchw, reason) ||
            !check(api.InitConvolutionDescriptor(conv_desc_, kMiopenConvolution, s.pad_h, s.pad_w, s.stride_h,
                                                 s.stride_w, s.dil_h, s.dil_w),
                   "miopenInitConvolutionDescriptor", reason))
            return false;
        size_t need = 0;
        if (!check(api.ConvolutionForwardGetWorkSpaceSize(handle, w_desc_, x_desc_, conv_desc_, y_desc_, &need),
                   "miopenConvolutionForwardGetWorkSpaceSize", reason))
            return false;
        workspace_bytes_ = need;
        if (workspace_bytes_ > 0) NOVA_HIP_CHECK(hipMalloc(&workspace_, workspace_bytes_));
        miopenConvAlgoPerf_t perf[8] = {};
        int returned = 0;
        if (!check(api.FindConvolutionForwardAlgorithm(handle, x_desc_, x, w_desc_, w, conv_desc_, y_desc_, y, 8,
                                                       &returned, perf, workspace_, workspace_bytes_, true),
                   "miopenFindConvolutionForwardAlgorithm", reason))
            return false;
        if (returned < 1) {
            reason = "miopenFindConvolutionForwardAlgorithm returned no algorithm";
            return false;
        }
        algo_ = perf[0].fwd_algo;  // sorted by time
        algorithm_ = fwd_algo_name(algo_);
        selection_ = "miopenFindConvolutionForwardAlgorithm (exhaustive), fastest first:";
        for (int i = 0; i < returned; ++i) {
            char time[32];
            std::snprintf(time, sizeof time, " %.1f us", perf[i].time * 1000.0f);
            selection_ += std::string(i == 0 ? " " : ", ") + fwd_algo_name(perf[i].fwd_algo) + time;
        }
        // The solver behind it: after Find, GetSolution lists the solutions from the find database, fastest first.
        miopenConvSolution_t solutions[16] = {};
        size_t count = 0;
        if (api.ConvolutionForwardGetSolution(handle, w_desc_, x_desc_, conv_desc_, y_desc_, 16, &count, solutions) ==
                kMiopenSuccess &&
            count > 0) {
            algorithm_ += " (solver id " + std::to_string(solutions[0].solution_id) + ")";
        }
        return true;
    }

    const std::string& algorithm() const override { return algorithm_; }
    const std::string& selection() const override { return selection_; }
    size_t workspace_bytes() const override { return workspace_bytes_; }

    bool run(const void* x, const void* w, void* y, std::string& error) override {
        const float alpha = 1.0f, beta = 0.0f;
        return check(api.ConvolutionForward(handle, &alpha, x_desc_, x, w_desc_, w, conv_desc_, algo_, &beta, y_desc_,
                                            y, workspace_, workspace_bytes_),
                     "miopenConvolutionForward", error);
    }

private:
    static bool check(miopenStatus_t status, const char* call, std::string& reason) {
        if (status == kMiopenSuccess) return true;
        reason = std::string(call) + ": " + api.GetErrorString(status);
        return false;
    }

    miopenTensorDescriptor_t x_desc_ = nullptr, y_desc_ = nullptr, w_desc_ = nullptr;
    miopenConvolutionDescriptor_t conv_desc_ = nullptr;
    int algo_ = 0;
    std::string algorithm_, selection_;
    void* workspace_ = nullptr;
    size_t workspace_bytes_ = 0;
};

}  // namespace

VendorLibrary vendor_library(hipStream_t stream) {
    std::lock_guard<std::mutex> lock(api_mutex);
    load(stream);
    return library;
}

std::unique_ptr<VendorConv> make_vendor_conv(const ConvShape& shape, bool nchw, const std::vector<VendorBuffers>& sets,
                                             hipStream_t stream, std::string& reason) {
    std::lock_guard<std::mutex> lock(api_mutex);
    load(stream);
    if (!library.available) {
        reason = library.reason;
        return nullptr;
    }
    auto conv = std::make_unique<MiopenConv>();
    if (!conv->init(shape, nchw, sets.at(0).x, sets.at(0).w, sets.at(0).y, stream, reason)) return nullptr;
    return conv;
}

}  // namespace nova

#endif  // NOVA_PLATFORM_AMD
