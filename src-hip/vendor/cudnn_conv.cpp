// cuDNN baseline, loaded at run time with dlopen("libcudnn.so.9"): the addon neither includes cudnn.h nor links
// libcudnn, so it builds and loads on machines without cuDNN, where the baseline is reported unavailable with the
// loader's message. Only the legacy convolution entry points we call are declared, with cuDNN 9's ABI.
#include "vendor_conv.hpp"

#if defined(NOVA_PLATFORM_NVIDIA)

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <mutex>
#include <vector>

namespace nova {
namespace {

// Our own minimal declarations (values as in cuDNN 9's cudnn_graph.h / cudnn_cnn.h).
using cudnnStatus_t = int;
using cudnnHandle_t = struct cudnnContext*;
using cudnnTensorDescriptor_t = struct cudnnTensorStruct*;
using cudnnFilterDescriptor_t = struct cudnnFilterStruct*;
using cudnnConvolutionDescriptor_t = struct cudnnConvolutionStruct*;
constexpr cudnnStatus_t kCudnnSuccess = 0;
constexpr int kCudnnDataFloat = 0;
constexpr int kCudnnDataHalf = 2;
constexpr int kCudnnTensorNchw = 0;
constexpr int kCudnnTensorNhwc = 1;
constexpr int kCudnnCrossCorrelation = 1;
constexpr int kCudnnTensorOpMath = 1;
constexpr int kCudnnFwdAlgoCount = 8;
const char* const kCudnnFwdAlgoNames[kCudnnFwdAlgoCount] = {
    "IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM", "GEMM", "DIRECT", "FFT", "FFT_TILING", "WINOGRAD", "WINOGRAD_NONFUSED"};
const char* const kCudnnMathNames[4] = {"default-math", "tensor-op", "tensor-op-allow-conversion", "fma"};

struct cudnnConvolutionFwdAlgoPerf_t {
    int algo;
    cudnnStatus_t status;
    float time;  // ms
    size_t memory;
    int determinism;
    int mathType;
    int reserved[3];
};

struct CudnnApi {
    size_t (*GetVersion)();
    const char* (*GetErrorString)(cudnnStatus_t);
    cudnnStatus_t (*Create)(cudnnHandle_t*);
    cudnnStatus_t (*SetStream)(cudnnHandle_t, hipStream_t);
    cudnnStatus_t (*CreateTensorDescriptor)(cudnnTensorDescriptor_t*);
    cudnnStatus_t (*SetTensor4dDescriptor)(cudnnTensorDescriptor_t, int format, int dtype, int n, int c, int h, int w);
    cudnnStatus_t (*DestroyTensorDescriptor)(cudnnTensorDescriptor_t);
    cudnnStatus_t (*CreateFilterDescriptor)(cudnnFilterDescriptor_t*);
    cudnnStatus_t (*SetFilter4dDescriptor)(cudnnFilterDescriptor_t, int dtype, int format, int k, int c, int h, int w);
    cudnnStatus_t (*DestroyFilterDescriptor)(cudnnFilterDescriptor_t);
    cudnnStatus_t (*CreateConvolutionDescriptor)(cudnnConvolutionDescriptor_t*);
    cudnnStatus_t (*SetConvolution2dDescriptor)(cudnnConvolutionDescriptor_t, int pad_h, int pad_w, int u, int v,
                                                int dil_h, int dil_w, int mode, int compute_type);
    cudnnStatus_t (*SetConvolutionMathType)(cudnnConvolutionDescriptor_t, int math_type);
    cudnnStatus_t (*DestroyConvolutionDescriptor)(cudnnConvolutionDescriptor_t);
    cudnnStatus_t (*FindConvolutionForwardAlgorithmEx)(cudnnHandle_t, cudnnTensorDescriptor_t, const void*,
                                                       cudnnFilterDescriptor_t, const void*,
                                                       cudnnConvolutionDescriptor_t, cudnnTensorDescriptor_t, void*,
                                                       int requested, int* returned,
                                                       cudnnConvolutionFwdAlgoPerf_t* results, void* workspace,
                                                       size_t workspace_bytes);
    // cuDNN's heuristic ranking, no timing (optional: resolved apart, null where the library lacks it).
    cudnnStatus_t (*GetConvolutionForwardAlgorithm_v7)(cudnnHandle_t, cudnnTensorDescriptor_t, cudnnFilterDescriptor_t,
                                                       cudnnConvolutionDescriptor_t, cudnnTensorDescriptor_t,
                                                       int requested, int* returned,
                                                       cudnnConvolutionFwdAlgoPerf_t* results);
    cudnnStatus_t (*ConvolutionForward)(cudnnHandle_t, const void* alpha, cudnnTensorDescriptor_t, const void* x,
                                        cudnnFilterDescriptor_t, const void* w, cudnnConvolutionDescriptor_t, int algo,
                                        void* workspace, size_t workspace_bytes, const void* beta,
                                        cudnnTensorDescriptor_t, void* y);
};

std::mutex api_mutex;
bool api_tried = false;
CudnnApi api{};
cudnnHandle_t handle = nullptr;
VendorLibrary library{"cudnn", false, "", ""};

template <typename F>
bool resolve(void* lib, const char* name, F& fn, std::string& reason) {
    fn = reinterpret_cast<F>(dlsym(lib, name));
    if (fn == nullptr && reason.empty()) reason = std::string("libcudnn.so.9 lacks ") + name;
    return fn != nullptr;
}

void load(hipStream_t stream) {
    if (api_tried) return;
    api_tried = true;
    void* lib = dlopen("libcudnn.so.9", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
        const char* error = dlerror();
        library.reason = std::string("dlopen(\"libcudnn.so.9\") failed: ") + (error ? error : "unknown error");
        return;
    }
    std::string& reason = library.reason;
    bool ok = resolve(lib, "cudnnGetVersion", api.GetVersion, reason) &&
              resolve(lib, "cudnnGetErrorString", api.GetErrorString, reason) &&
              resolve(lib, "cudnnCreate", api.Create, reason) && resolve(lib, "cudnnSetStream", api.SetStream, reason) &&
              resolve(lib, "cudnnCreateTensorDescriptor", api.CreateTensorDescriptor, reason) &&
              resolve(lib, "cudnnSetTensor4dDescriptor", api.SetTensor4dDescriptor, reason) &&
              resolve(lib, "cudnnDestroyTensorDescriptor", api.DestroyTensorDescriptor, reason) &&
              resolve(lib, "cudnnCreateFilterDescriptor", api.CreateFilterDescriptor, reason) &&
              resolve(lib, "cudnnSetFilter4dDescriptor", api.SetFilter4dDescriptor, reason) &&
              resolve(lib, "cudnnDestroyFilterDescriptor", api.DestroyFilterDescriptor, reason) &&
              resolve(lib, "cudnnCreateConvolutionDescriptor", api.CreateConvolutionDescriptor, reason) &&
              resolve(lib, "cudnnSetConvolution2dDescriptor", api.SetConvolution2dDescriptor, reason) &&
              resolve(lib, "cudnnSetConvolutionMathType", api.SetConvolutionMathType, reason) &&
              resolve(lib, "cudnnDestroyConvolutionDescriptor", api.DestroyConvolutionDescriptor, reason) &&
              resolve(lib, "cudnnFindConvolutionForwardAlgorithmEx", api.FindConvolutionForwardAlgorithmEx, reason) &&
              resolve(lib, "cudnnConvolutionForward", api.ConvolutionForward, reason);
    if (!ok) return;
    api.GetConvolutionForwardAlgorithm_v7 = reinterpret_cast<decltype(api.GetConvolutionForwardAlgorithm_v7)>(
        dlsym(lib, "cudnnGetConvolutionForwardAlgorithm_v7"));
    const size_t v = api.GetVersion();  // major·10000 + minor·100 + patch since cuDNN 9
    library.version = std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
    const cudnnStatus_t status = api.Create(&handle);
    if (status != kCudnnSuccess) {
        library.reason = std::string("cudnnCreate failed: ") + api.GetErrorString(status);
        handle = nullptr;
        return;
    }
    library.available = true;
    (void)stream;
}

class CudnnConv final : public VendorConv {
public:
    ~CudnnConv() override {
        if (x_desc_) api.DestroyTensorDescriptor(x_desc_);
        if (y_desc_) api.DestroyTensorDescriptor(y_desc_);
        if (w_desc_) api.DestroyFilterDescriptor(w_desc_);
        if (conv_desc_) api.DestroyConvolutionDescriptor(conv_desc_);
        if (workspace_) (void)hipFree(workspace_);
    }

    bool init(const ConvShape& s, bool nchw, const void* x, const void* w, void* y, hipStream_t stream,
              std::string& reason) {
        stream_ = stream;
        const int format = nchw ? kCudnnTensorNchw : kCudnnTensorNhwc;
        if (!check(api.SetStream(handle, stream), "cudnnSetStream", reason) ||
            !check(api.CreateTensorDescriptor(&x_desc_), "cudnnCreateTensorDescriptor", reason) ||
            !check(api.CreateTensorDescriptor(&y_desc_), "cudnnCreateTensorDescriptor", reason) ||
            !check(api.CreateFilterDescriptor(&w_desc_), "cudnnCreateFilterDescriptor", reason) ||
            !check(api.CreateConvolutionDescriptor(&conv_desc_), "cudnnCreateConvolutionDescriptor", reason) ||
            !check(api.SetTensor4dDescriptor(x_desc_, format, kCudnnDataHalf, s.n, s.c, s.h, s.w),
                   "cudnnSetTensor4dDescriptor(x)", reason) ||
            !check(api.SetTensor4dDescriptor(y_desc_, format, kCudnnDataHalf, s.n, s.k, s.out_h, s.out_w),
                   "cudnnSetTensor4dDescriptor(y)", reason) ||
            !check(api.SetFilter4dDescriptor(w_desc_, kCudnnDataHalf, format, s.k, s.c, s.r, s.s),
                   "cudnnSetFilter4dDescriptor", reason) ||
            // fp16 storage with fp32 accumulation, as PyTorch configures half convolutions.
            !check(api.SetConvolution2dDescriptor(conv_desc_, s.pad_h, s.pad_w, s.stride_h, s.stride_w, s.dil_h,
                                                  s.dil_w, kCudnnCrossCorrelation, kCudnnDataFloat),
                   "cudnnSetConvolution2dDescriptor", reason) ||
            !check(api.SetConvolutionMathType(conv_desc_, kCudnnTensorOpMath), "cudnnSetConvolutionMathType", reason))
            return false;

        // FindEx times every algorithm on these buffers; give it a generous workspace so none is excluded for lack
        // of memory (the chosen one's own need is what the timed runs then allocate).
        size_t free_bytes = 0, total_bytes = 0;
        NOVA_HIP_CHECK(hipMemGetInfo(&free_bytes, &total_bytes));
        size_t search_bytes = std::min<size_t>(free_bytes / 4, size_t{2} << 30);
        void* search_workspace = nullptr;
        if (hipMalloc(&search_workspace, search_bytes) != hipSuccess) {
            (void)hipGetLastError();
            search_workspace = nullptr;
            search_bytes = 0;
        }
        std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(kCudnnFwdAlgoCount);
        int returned = 0;
        // Two passes, the second one decides: with lazy module loading (CUDA's default) the first launch of each
        // cuDNN kernel loads its module inside FindEx's timing, which made it pick slow non-tensor-op algorithms
        // (seen on an H200: 78.6 µs where PyTorch's cuDNN took 5.4 µs on ResNet-50 64×56, batch 1).
        cudnnStatus_t status = kCudnnSuccess;
        for (int pass = 0; pass < 2 && status == kCudnnSuccess; ++pass)
            status = api.FindConvolutionForwardAlgorithmEx(handle, x_desc_, x, w_desc_, w, conv_desc_, y_desc_, y,
                                                           kCudnnFwdAlgoCount, &returned, perf.data(),
                                                           search_workspace, search_bytes);
        if (search_workspace) (void)hipFree(search_workspace);
        if (!check(status, "cudnnFindConvolutionForwardAlgorithmEx", reason)) return false;
        // FindEx's own timing still picks a slow algorithm now and then (ESRGAN 64→32 at 128², batch 1, H200:
        // IMPLICIT_GEMM default-math at 117 µs where PyTorch's cuDNN took 6.5 µs), and its four fastest were not always
        // enough either (DenseNet-161 192→48 56², batch 1, H100: 226 µs where PyTorch's cuDNN took 7.4; bench/NOTES.md).
        // So every successful candidate is timed again here, warm, on these buffers: one call each first, then in full
        // those within twice the fastest of those calls and the fastest of each math type (one call can be off by
        // more than 2×: DenseNet-161 7², batch 1, H200, kept a default-math algorithm at 76 µs where PyTorch's cuDNN
        // took 8.0, bench/NOTES.md v31). cuDNN's heuristic picks join FindEx's. Those finalists are timed in
        // alternation, kFinalRounds rounds of each in CUDA graphs (time_candidate), and the one with the fastest round
        // is kept: timed one after the other, once each, a run kept a default-math algorithm at 174 µs beside a
        // tensor-op one (VGG-16 256×56, batch 1, H100; PyTorch's cuDNN took 11.9, NOTES v36).
        // A heuristic pick FindEx did not time may still fail to run (or need more workspace than FindEx was given):
        // then it is left out, where a FindEx candidate's failure is reported.
        std::vector<cudnnConvolutionFwdAlgoPerf_t> candidates;
        std::vector<bool> heuristic_only;
        const auto add_candidate = [&](const cudnnConvolutionFwdAlgoPerf_t& p, bool heuristic) {
            if (p.status != kCudnnSuccess || (heuristic && p.memory > search_bytes)) return;
            for (const auto& c : candidates)
                if (c.algo == p.algo && c.mathType == p.mathType) return;
            candidates.push_back(p);
            heuristic_only.push_back(heuristic);
        };
        for (int i = 0; i < returned; ++i) add_candidate(perf[i], false);
        if (api.GetConvolutionForwardAlgorithm_v7) {
            std::vector<cudnnConvolutionFwdAlgoPerf_t> ranked(kCudnnFwdAlgoCount);
            int ranked_count = 0;
            if (api.GetConvolutionForwardAlgorithm_v7(handle, x_desc_, w_desc_, conv_desc_, y_desc_, kCudnnFwdAlgoCount,
                                                      &ranked_count, ranked.data()) == kCudnnSuccess)
                for (int i = 0; i < ranked_count; ++i) add_candidate(ranked[i], true);
        }
        std::vector<bool> eager(candidates.size(), false);  // a finalist's calls could not be captured
        const auto time_or_skip = [&](size_t i, int warmup, int timed, bool graph, float& ms) {
            bool graphed = false;
            if (time_candidate(candidates[i], x, w, y, warmup, timed, graph, ms, graphed, reason)) {
                if (graph && !graphed) eager[i] = true;
                return true;
            }
            if (!heuristic_only[i]) return false;
            reason.clear();
            ms = std::numeric_limits<float>::infinity();
            return true;
        };
        if (candidates.empty()) {
            reason = "cudnnFindConvolutionForwardAlgorithmEx: no algorithm succeeded for this shape";
            return false;
        }
        for (const auto& candidate : candidates) workspace_bytes_ = std::max(workspace_bytes_, candidate.memory);
        if (workspace_bytes_ > 0) NOVA_HIP_CHECK(hipMalloc(&workspace_, workspace_bytes_));
        std::vector<float> screened(candidates.size());
        for (size_t i = 0; i < candidates.size(); ++i)
            if (!time_or_skip(i, 1, 1, false, screened[i])) return false;
        const float fastest_screened = *std::min_element(screened.begin(), screened.end());
        const auto fastest_of_its_math = [&](size_t i) {
            for (size_t j = 0; j < candidates.size(); ++j)
                if (candidates[j].mathType == candidates[i].mathType && screened[j] < screened[i]) return false;
            return true;
        };
        std::vector<size_t> finalists;
        for (size_t i = 0; i < candidates.size(); ++i)
            if (!std::isinf(screened[i]) && (screened[i] <= 2 * fastest_screened || fastest_of_its_math(i)))
                finalists.push_back(i);
        constexpr int kFinalRounds = 3;
        std::vector<float> fastest_round(candidates.size(), std::numeric_limits<float>::infinity());
        for (int round = 0; round < kFinalRounds; ++round)
            for (size_t i : finalists) {
                float ms = 0;
                if (!time_or_skip(i, 3, 10, true, ms)) return false;
                fastest_round[i] = std::min(fastest_round[i], ms);
            }
        const cudnnConvolutionFwdAlgoPerf_t* best = nullptr;
        float best_ms = std::numeric_limits<float>::infinity();
        selection_ = std::to_string(candidates.size()) + " candidates; finalists, fastest of " +
                     std::to_string(kFinalRounds) + " rounds of 10 graph-replayed calls:";
        for (size_t i : finalists) {
            if (fastest_round[i] < best_ms) best = &candidates[i], best_ms = fastest_round[i];
            const std::string time = std::isinf(fastest_round[i]) ? "failed" : microseconds(fastest_round[i]);
            selection_ += std::string(i == finalists.front() ? " " : ", ") + candidate_name(candidates[i]) + " " +
                          time + (heuristic_only[i] ? " (heuristic pick)" : "") +
                          (eager[i] ? " (not captured: eager)" : "");
        }
        if (!best) {
            reason = "cuDNN: no candidate algorithm ran for this shape";
            return false;
        }
        algo_ = best->algo;
        chosen_workspace_bytes_ = best->memory;
        if (!check(api.SetConvolutionMathType(conv_desc_, best->mathType), "cudnnSetConvolutionMathType", reason))
            return false;
        algorithm_ = candidate_name(*best);
        return true;
    }

    const std::string& algorithm() const override { return algorithm_; }
    const std::string& selection() const override { return selection_; }
    size_t workspace_bytes() const override { return chosen_workspace_bytes_; }

    bool run(const void* x, const void* w, void* y, std::string& error) override {
        const float alpha = 1.0f, beta = 0.0f;
        return check(api.ConvolutionForward(handle, &alpha, x_desc_, x, w_desc_, w, conv_desc_, algo_, workspace_,
                                            workspace_bytes_, &beta, y_desc_, y),
                     "cudnnConvolutionForward", error);
    }

private:
    static std::string candidate_name(const cudnnConvolutionFwdAlgoPerf_t& p) {
        return std::string(p.algo >= 0 && p.algo < kCudnnFwdAlgoCount ? kCudnnFwdAlgoNames[p.algo] : "algo?") + " " +
               (p.mathType >= 0 && p.mathType < 4 ? kCudnnMathNames[p.mathType] : "math?");
    }
    static std::string microseconds(float ms) {
        char text[32];
        std::snprintf(text, sizeof text, "%.1f us", ms * 1000.0f);
        return text;
    }

    // Time per call of one candidate: `warmup` calls, then `timed` calls between two events on the stream; with
    // `graph`, those calls captured into one CUDA graph and replayed, as the bench times the chosen one: one after
    // the other, at batch 1 the calls measure the host's launch rate (32–101 µs a call on an H100 against 5–15 µs of
    // GPU time, bench/NOTES.md). Where capture fails the calls run eagerly and `graphed` says so.
    bool time_candidate(const cudnnConvolutionFwdAlgoPerf_t& candidate, const void* x, const void* w, void* y,
                        int warmup, int timed, bool graph, float& ms, bool& graphed, std::string& reason) {
        const float alpha = 1.0f, beta = 0.0f;
        if (!check(api.SetConvolutionMathType(conv_desc_, candidate.mathType), "cudnnSetConvolutionMathType", reason))
            return false;
        const auto forward = [&] {
            return api.ConvolutionForward(handle, &alpha, x_desc_, x, w_desc_, w, conv_desc_, candidate.algo,
                                          workspace_, workspace_bytes_, &beta, y_desc_, y);
        };
        for (int i = 0; i < warmup; ++i)
            if (!check(forward(), "cudnnConvolutionForward", reason)) return false;
        hipGraphExec_t exec = nullptr;
        if (graph) {
            hipGraph_t captured = nullptr;
            NOVA_HIP_CHECK(hipStreamBeginCapture(stream_, hipStreamCaptureModeThreadLocal));
            bool enqueued = true;
            for (int i = 0; i < timed && enqueued; ++i) enqueued = forward() == kCudnnSuccess;
            const hipError_t end = hipStreamEndCapture(stream_, &captured);
            if (!enqueued || end != hipSuccess || hipGraphInstantiateWithFlags(&exec, captured, 0) != hipSuccess) {
                (void)hipGetLastError();
                exec = nullptr;
            }
            if (captured) (void)hipGraphDestroy(captured);
            if (exec) NOVA_HIP_CHECK(hipGraphLaunch(exec, stream_));  // upload and warm
        }
        graphed = exec != nullptr;
        hipEvent_t events[2] = {nullptr, nullptr};
        NOVA_HIP_CHECK(hipEventCreate(&events[0]));
        NOVA_HIP_CHECK(hipEventCreate(&events[1]));
        NOVA_HIP_CHECK(hipEventRecord(events[0], stream_));
        bool ok = true;
        if (graphed)
            NOVA_HIP_CHECK(hipGraphLaunch(exec, stream_));
        else
            for (int i = 0; ok && i < timed; ++i) ok = check(forward(), "cudnnConvolutionForward", reason);
        if (ok) {
            NOVA_HIP_CHECK(hipEventRecord(events[1], stream_));
            NOVA_HIP_CHECK(hipEventSynchronize(events[1]));
            NOVA_HIP_CHECK(hipEventElapsedTime(&ms, events[0], events[1]));
            ms /= timed;
        }
        if (exec) (void)hipGraphExecDestroy(exec);
        (void)hipEventDestroy(events[0]);
        (void)hipEventDestroy(events[1]);
        return ok;
    }

    static bool check(cudnnStatus_t status, const char* call, std::string& reason) {
        if (status == kCudnnSuccess) return true;
        reason = std::string(call) + ": " + api.GetErrorString(status);
        return false;
    }

    hipStream_t stream_ = nullptr;
    cudnnTensorDescriptor_t x_desc_ = nullptr, y_desc_ = nullptr;
    cudnnFilterDescriptor_t w_desc_ = nullptr;
    cudnnConvolutionDescriptor_t conv_desc_ = nullptr;
    int algo_ = 0;
    std::string algorithm_, selection_;
    void* workspace_ = nullptr;
    size_t workspace_bytes_ = 0;         // allocated: the largest need among the timed candidates
    size_t chosen_workspace_bytes_ = 0;  // what the chosen algorithm needs
};

}  // namespace

VendorLibrary vendor_library(hipStream_t stream) {
    std::lock_guard<std::mutex> lock(api_mutex);
    load(stream);
    return library;
}

std::unique_ptr<VendorConv> make_vendor_conv(const ConvShape& shape, bool nchw, const void* x, const void* w, void* y,
                                             hipStream_t stream, std::string& reason) {
    std::lock_guard<std::mutex> lock(api_mutex);
    load(stream);
    if (!library.available) {
        reason = library.reason;
        return nullptr;
    }
    auto conv = std::make_unique<CudnnConv>();
    if (!conv->init(shape, nchw, x, w, y, stream, reason)) return nullptr;
    return conv;
}

}  // namespace nova

#endif  // NOVA_PLATFORM_NVIDIA
