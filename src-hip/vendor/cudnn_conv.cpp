// cuDNN baseline, loaded at run time with dlopen("libcudnn.so.9"): the addon neither includes cudnn.h nor links
// libcudnn, so it builds and loads on machines without cuDNN, where the baseline is reported unavailable with the
// loader's message. Only the entry points we call are declared, with cuDNN 9's ABI: the legacy convolution API and
// the graph (backend) API, whose engines PyTorch runs and which the legacy algorithms do not all reach.
#include "vendor_conv.hpp"

#if defined(NOVA_PLATFORM_NVIDIA)

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cstdint>
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

// The graph API: descriptor types, attribute names and types as numbered in cuDNN 9's cudnn_graph.h.
using cudnnBackendDescriptor_t = void*;
enum BackendType : int {
    kBackendConvolution = 1, kBackendEngine = 2, kBackendEngineCfg = 3, kBackendEngineHeur = 4, kBackendExecutionPlan = 5,
    kBackendOperationConvForward = 10, kBackendOperationGraph = 15, kBackendVariantPack = 16, kBackendTensor = 17,
};
enum BackendAttr : int {
    kAttrConvCompType = 100, kAttrConvMode = 101, kAttrConvDilations = 102, kAttrConvFilterStrides = 103,
    kAttrConvPostPaddings = 104, kAttrConvPrePaddings = 105, kAttrConvSpatialDims = 106,
    kAttrHeurMode = 200, kAttrHeurOperationGraph = 201, kAttrHeurResults = 202,
    kAttrEngineCfgEngine = 300,
    kAttrPlanHandle = 400, kAttrPlanEngineConfig = 401, kAttrPlanWorkspaceSize = 402,
    kAttrConvFwdAlpha = 700, kAttrConvFwdBeta = 701, kAttrConvFwdConvDesc = 702, kAttrConvFwdW = 703,
    kAttrConvFwdX = 704, kAttrConvFwdY = 705,
    kAttrGraphHandle = 800, kAttrGraphOps = 801,
    kAttrTensorByteAlignment = 900, kAttrTensorDataType = 901, kAttrTensorDimensions = 902, kAttrTensorStrides = 903,
    kAttrTensorUniqueId = 906,
    kAttrVariantPackUniqueIds = 1000, kAttrVariantPackDataPointers = 1001, kAttrVariantPackWorkspace = 1003,
    kAttrEngineGlobalIndex = 1301, kAttrEngineBehaviorNote = 1305,
};
enum BackendAttrType : int {
    kTypeHandle = 0, kTypeDataType = 1, kTypeInt64 = 3, kTypeFloat = 4, kTypeVoidPtr = 6, kTypeConvolutionMode = 7,
    kTypeHeurMode = 8, kTypeBackendDescriptor = 15, kTypeBehaviorNote = 19,
};
constexpr int kHeurModeInstant = 0;   // CUDNN_HEUR_MODE_A
constexpr int kHeurModeFallback = 2;
constexpr int kBehaviorNoteRuntimeCompilation = 0;

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
    // The graph API (optional: resolved apart; without it only the legacy algorithms are candidates).
    cudnnStatus_t (*BackendCreateDescriptor)(int type, cudnnBackendDescriptor_t*);
    cudnnStatus_t (*BackendDestroyDescriptor)(cudnnBackendDescriptor_t);
    cudnnStatus_t (*BackendSetAttribute)(cudnnBackendDescriptor_t, int name, int type, int64_t count, const void* values);
    cudnnStatus_t (*BackendGetAttribute)(cudnnBackendDescriptor_t, int name, int type, int64_t requested,
                                         int64_t* count, void* values);
    cudnnStatus_t (*BackendFinalize)(cudnnBackendDescriptor_t);
    cudnnStatus_t (*BackendExecute)(cudnnHandle_t, cudnnBackendDescriptor_t plan, cudnnBackendDescriptor_t variant_pack);
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
    std::string graph_missing;
    if (!(resolve(lib, "cudnnBackendCreateDescriptor", api.BackendCreateDescriptor, graph_missing) &&
          resolve(lib, "cudnnBackendDestroyDescriptor", api.BackendDestroyDescriptor, graph_missing) &&
          resolve(lib, "cudnnBackendSetAttribute", api.BackendSetAttribute, graph_missing) &&
          resolve(lib, "cudnnBackendGetAttribute", api.BackendGetAttribute, graph_missing) &&
          resolve(lib, "cudnnBackendFinalize", api.BackendFinalize, graph_missing) &&
          resolve(lib, "cudnnBackendExecute", api.BackendExecute, graph_missing)))
        api.BackendCreateDescriptor = nullptr;  // no graph API: legacy candidates only
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

// A graph-API descriptor, destroyed with its owner.
struct Descriptor {
    cudnnBackendDescriptor_t handle = nullptr;
    Descriptor() = default;
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    Descriptor(Descriptor&& other) noexcept : handle(other.handle) { other.handle = nullptr; }
    ~Descriptor() {
        if (handle) api.BackendDestroyDescriptor(handle);
    }
};

// One way cuDNN can run the convolution: a legacy algorithm with a math type, or an execution plan of the graph API.
struct Candidate {
    std::string name;
    std::string kind;             // what "the fastest of its kind" groups by: the math type, or the graph API
    size_t workspace = 0;
    bool heuristic_only = false;  // not run by the library's own search: a failure leaves it out
    int algo = 0, math_type = 0;  // legacy
    size_t plan = SIZE_MAX;       // graph API: index into CudnnConv::plans_
};

class CudnnConv final : public VendorConv {
public:
    ~CudnnConv() override {
        if (x_desc_) api.DestroyTensorDescriptor(x_desc_);
        if (y_desc_) api.DestroyTensorDescriptor(y_desc_);
        if (w_desc_) api.DestroyFilterDescriptor(w_desc_);
        if (conv_desc_) api.DestroyConvolutionDescriptor(conv_desc_);
        if (workspace_) (void)hipFree(workspace_);
    }

    bool init(const ConvShape& s, bool nchw, const std::vector<VendorBuffers>& sets, hipStream_t stream,
              std::string& reason) {
        stream_ = stream;
        const void *x = sets.at(0).x, *w = sets.at(0).w;
        void* y = sets.at(0).y;
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
        // So every successful candidate is timed again here, its calls rotating over the bench's buffer sets as the
        // final timing's do (timed warm on one set, a graph-API engine read 10.4 µs on ESRGAN 160→32 batch 1 and 14.0 in
        // the final timing, where PyTorch's cuDNN took 11.7; H100, bench/NOTES.md): one call each first, then in full
        // those within twice the fastest of those calls and the fastest of each kind (one call can be off by more
        // than 2×: DenseNet-161 7², batch 1, H200, kept a default-math algorithm at 76 µs where PyTorch's cuDNN took
        // 8.0, bench/NOTES.md v31). cuDNN's heuristic picks join FindEx's, and so do the execution plans of the graph
        // API's engines (heuristic modes A and fallback), which PyTorch runs: the legacy algorithms do not reach them
        // all (PyTorch's cuDNN was faster on 21 of 48 cells, bench/NOTES.md). Those finalists are timed in
        // alternation, kFinalRounds rounds of each in CUDA graphs (time_candidate), and the one with the fastest round
        // is kept: timed one after the other, once each, a run kept a default-math algorithm at 174 µs beside a
        // tensor-op one (VGG-16 256×56, batch 1, H100; PyTorch's cuDNN took 11.9, NOTES v36).
        // A heuristic pick FindEx did not time may still fail to run (or need more workspace than FindEx was given):
        // then it is left out, where a FindEx candidate's failure is reported.
        std::vector<Candidate> candidates;
        const auto add_legacy = [&](const cudnnConvolutionFwdAlgoPerf_t& p, bool heuristic) {
            if (p.status != kCudnnSuccess || (heuristic && p.memory > search_bytes)) return;
            for (const auto& c : candidates)
                if (c.plan == SIZE_MAX && c.algo == p.algo && c.math_type == p.mathType) return;
            Candidate c;
            c.algo = p.algo;
            c.math_type = p.mathType;
            c.kind = p.mathType >= 0 && p.mathType < 4 ? kCudnnMathNames[p.mathType] : "math?";
            c.name = std::string(p.algo >= 0 && p.algo < kCudnnFwdAlgoCount ? kCudnnFwdAlgoNames[p.algo] : "algo?") +
                     " " + c.kind;
            c.workspace = p.memory;
            c.heuristic_only = heuristic;
            candidates.push_back(std::move(c));
        };
        for (int i = 0; i < returned; ++i) add_legacy(perf[i], false);
        if (api.GetConvolutionForwardAlgorithm_v7) {
            std::vector<cudnnConvolutionFwdAlgoPerf_t> ranked(kCudnnFwdAlgoCount);
            int ranked_count = 0;
            if (api.GetConvolutionForwardAlgorithm_v7(handle, x_desc_, w_desc_, conv_desc_, y_desc_, kCudnnFwdAlgoCount,
                                                      &ranked_count, ranked.data()) == kCudnnSuccess)
                for (int i = 0; i < ranked_count; ++i) add_legacy(ranked[i], true);
        }
        const std::string engines_note = add_engine_plans(s, nchw, search_bytes, candidates);
        if (candidates.empty()) {
            reason = "cudnnFindConvolutionForwardAlgorithmEx: no algorithm succeeded for this shape";
            return false;
        }
        for (const auto& candidate : candidates) workspace_bytes_ = std::max(workspace_bytes_, candidate.workspace);
        if (workspace_bytes_ > 0) NOVA_HIP_CHECK(hipMalloc(&workspace_, workspace_bytes_));

        std::vector<bool> eager(candidates.size(), false);  // a finalist's calls could not be captured
        const auto time_or_skip = [&](size_t i, int warmup, int timed, bool graph, float& ms) {
            bool graphed = false;
            if (time_candidate(candidates[i], sets, warmup, timed, graph, ms, graphed, reason)) {
                if (graph && !graphed) eager[i] = true;
                return true;
            }
            if (!candidates[i].heuristic_only) return false;
            reason.clear();
            ms = std::numeric_limits<float>::infinity();
            return true;
        };
        std::vector<float> screened(candidates.size());
        for (size_t i = 0; i < candidates.size(); ++i)
            if (!time_or_skip(i, 1, 1, false, screened[i])) return false;
        const float fastest_screened = *std::min_element(screened.begin(), screened.end());
        const auto fastest_of_its_kind = [&](size_t i) {
            for (size_t j = 0; j < candidates.size(); ++j)
                if (candidates[j].kind == candidates[i].kind && screened[j] < screened[i]) return false;
            return true;
        };
        std::vector<size_t> finalists;
        for (size_t i = 0; i < candidates.size(); ++i)
            if (!std::isinf(screened[i]) && (screened[i] <= 2 * fastest_screened || fastest_of_its_kind(i)))
                finalists.push_back(i);
        constexpr int kFinalRounds = 3;
        const int round_calls = calls_through_every_set(10, sets.size());
        std::vector<float> fastest_round(candidates.size(), std::numeric_limits<float>::infinity());
        for (int round = 0; round < kFinalRounds; ++round)
            for (size_t i : finalists) {
                float ms = 0;
                if (!time_or_skip(i, 3, round_calls, true, ms)) return false;
                fastest_round[i] = std::min(fastest_round[i], ms);
            }
        const Candidate* best = nullptr;
        float best_ms = std::numeric_limits<float>::infinity();
        selection_ = std::to_string(candidates.size()) + " candidates" + engines_note + "; finalists, fastest of " +
                     std::to_string(kFinalRounds) + " rounds of " + std::to_string(round_calls) +
                     " graph-replayed calls over " + std::to_string(sets.size()) + " buffer sets:";
        for (size_t i : finalists) {
            if (fastest_round[i] < best_ms) best = &candidates[i], best_ms = fastest_round[i];
            const std::string time = std::isinf(fastest_round[i]) ? "failed" : microseconds(fastest_round[i]);
            selection_ += std::string(i == finalists.front() ? " " : ", ") + candidates[i].name + " " + time +
                          (candidates[i].heuristic_only && candidates[i].plan == SIZE_MAX ? " (heuristic pick)" : "") +
                          (eager[i] ? " (not captured: eager)" : "");
        }
        if (!best) {
            reason = "cuDNN: no candidate algorithm ran for this shape";
            return false;
        }
        chosen_ = *best;
        if (chosen_.plan == SIZE_MAX &&
            !check(api.SetConvolutionMathType(conv_desc_, chosen_.math_type), "cudnnSetConvolutionMathType", reason))
            return false;
        return true;
    }

    const std::string& algorithm() const override { return chosen_.name; }
    const std::string& selection() const override { return selection_; }
    size_t workspace_bytes() const override { return chosen_.workspace; }

    bool run(const void* x, const void* w, void* y, std::string& error) override { return forward(chosen_, x, w, y, error); }

private:
    static std::string microseconds(float ms) {
        char text[32];
        std::snprintf(text, sizeof text, "%.1f us", ms * 1000.0f);
        return text;
    }

    // The graph API's execution plans for this convolution, every configuration heuristic mode A returns (an engine
    // may come with several knob choices) and the engines only fallback adds (as PyTorch asks), as candidates; engines
    // that compile at run time are left out (seconds each to build). Returns a note for the
    // selection record: how many plans joined, or why none did.
    std::string add_engine_plans(const ConvShape& s, bool nchw, size_t max_workspace, std::vector<Candidate>& candidates) {
        if (!api.BackendCreateDescriptor) return " (no graph API in this cuDNN)";
        std::string failure;
        const auto ok = [&](cudnnStatus_t status, const char* what) {
            if (status != kCudnnSuccess && failure.empty()) failure = std::string(what) + ": " + api.GetErrorString(status);
            return status == kCudnnSuccess;
        };
        const auto make = [&](int type, Descriptor& d) { return ok(api.BackendCreateDescriptor(type, &d.handle), "create"); };
        const auto set = [&](Descriptor& d, int name, int type, int64_t count, const void* values) {
            return ok(api.BackendSetAttribute(d.handle, name, type, count, values), "set attribute");
        };
        // Dimensions are always N, C, H, W (K, C, R, S); the strides say the layout.
        const auto tensor = [&](Descriptor& d, int64_t uid, int64_t n, int64_t c, int64_t h, int64_t w) {
            const int64_t dims[4] = {n, c, h, w};
            const int64_t nhwc[4] = {h * w * c, 1, w * c, c}, nchw_strides[4] = {c * h * w, h * w, w, 1};
            const int data_type = kCudnnDataHalf;
            const int64_t alignment = 16;
            return make(kBackendTensor, d) && set(d, kAttrTensorDataType, kTypeDataType, 1, &data_type) &&
                   set(d, kAttrTensorDimensions, kTypeInt64, 4, dims) &&
                   set(d, kAttrTensorStrides, kTypeInt64, 4, nchw ? nchw_strides : nhwc) &&
                   set(d, kAttrTensorUniqueId, kTypeInt64, 1, &uid) &&
                   set(d, kAttrTensorByteAlignment, kTypeInt64, 1, &alignment) &&
                   ok(api.BackendFinalize(d.handle), "tensor");
        };
        Descriptor x, w, y, conv, op, graph;
        const int64_t spatial = 2, pre[2] = {s.pad_h, s.pad_w}, strides[2] = {s.stride_h, s.stride_w},
                      dilations[2] = {s.dil_h, s.dil_w};
        const int comp_type = kCudnnDataFloat, mode = kCudnnCrossCorrelation;
        const float alpha = 1.0f, beta = 0.0f;
        const bool built =
            tensor(x, kUidX, s.n, s.c, s.h, s.w) && tensor(w, kUidW, s.k, s.c, s.r, s.s) &&
            tensor(y, kUidY, s.n, s.k, s.out_h, s.out_w) && make(kBackendConvolution, conv) &&
            set(conv, kAttrConvCompType, kTypeDataType, 1, &comp_type) &&
            set(conv, kAttrConvMode, kTypeConvolutionMode, 1, &mode) &&
            set(conv, kAttrConvSpatialDims, kTypeInt64, 1, &spatial) &&
            set(conv, kAttrConvDilations, kTypeInt64, 2, dilations) &&
            set(conv, kAttrConvFilterStrides, kTypeInt64, 2, strides) &&
            set(conv, kAttrConvPrePaddings, kTypeInt64, 2, pre) && set(conv, kAttrConvPostPaddings, kTypeInt64, 2, pre) &&
            ok(api.BackendFinalize(conv.handle), "convolution") && make(kBackendOperationConvForward, op) &&
            set(op, kAttrConvFwdX, kTypeBackendDescriptor, 1, &x.handle) &&
            set(op, kAttrConvFwdW, kTypeBackendDescriptor, 1, &w.handle) &&
            set(op, kAttrConvFwdY, kTypeBackendDescriptor, 1, &y.handle) &&
            set(op, kAttrConvFwdConvDesc, kTypeBackendDescriptor, 1, &conv.handle) &&
            set(op, kAttrConvFwdAlpha, kTypeFloat, 1, &alpha) && set(op, kAttrConvFwdBeta, kTypeFloat, 1, &beta) &&
            ok(api.BackendFinalize(op.handle), "convolution forward") && make(kBackendOperationGraph, graph) &&
            set(graph, kAttrGraphHandle, kTypeHandle, 1, &handle) &&
            set(graph, kAttrGraphOps, kTypeBackendDescriptor, 1, &op.handle) &&
            ok(api.BackendFinalize(graph.handle), "operation graph");
        if (!built) return " (graph API: " + failure + ")";
        size_t added = 0, compiled = 0;
        std::vector<int64_t> engines_of_a;  // fallback adds only engines heuristic A did not return
        for (const int heur_mode : {kHeurModeInstant, kHeurModeFallback}) {
            Descriptor heur;
            int64_t count = 0;
            if (!(make(kBackendEngineHeur, heur) &&
                  set(heur, kAttrHeurOperationGraph, kTypeBackendDescriptor, 1, &graph.handle) &&
                  set(heur, kAttrHeurMode, kTypeHeurMode, 1, &heur_mode) && ok(api.BackendFinalize(heur.handle), "heuristics") &&
                  ok(api.BackendGetAttribute(heur.handle, kAttrHeurResults, kTypeBackendDescriptor, 0, &count, nullptr),
                     "heuristic results")))
                continue;
            std::vector<Descriptor> configs(static_cast<size_t>(count));
            std::vector<cudnnBackendDescriptor_t> handles;
            for (auto& config : configs)
                if (make(kBackendEngineCfg, config)) handles.push_back(config.handle);
            if (handles.size() != configs.size() ||
                !ok(api.BackendGetAttribute(heur.handle, kAttrHeurResults, kTypeBackendDescriptor, count, &count,
                                            handles.data()),
                    "heuristic results"))
                continue;
            for (int64_t i = 0; i < count; ++i) {
                Descriptor engine;
                int64_t found = 0, index = -1, notes_count = 0;
                int notes[8] = {};
                if (!(make(kBackendEngine, engine) &&
                      ok(api.BackendGetAttribute(handles[i], kAttrEngineCfgEngine, kTypeBackendDescriptor, 1, &found,
                                                 &engine.handle),
                         "engine") &&
                      ok(api.BackendGetAttribute(engine.handle, kAttrEngineGlobalIndex, kTypeInt64, 1, &found, &index),
                         "engine index")))
                    continue;
                if (heur_mode == kHeurModeFallback &&
                    std::find(engines_of_a.begin(), engines_of_a.end(), index) != engines_of_a.end())
                    continue;
                if (api.BackendGetAttribute(engine.handle, kAttrEngineBehaviorNote, kTypeBehaviorNote, 8, &notes_count,
                                            notes) == kCudnnSuccess &&
                    std::find(notes, notes + std::min<int64_t>(notes_count, 8), kBehaviorNoteRuntimeCompilation) !=
                        notes + std::min<int64_t>(notes_count, 8)) {
                    ++compiled;
                    continue;
                }
                Descriptor plan;
                int64_t workspace = 0;
                if (!(make(kBackendExecutionPlan, plan) && set(plan, kAttrPlanHandle, kTypeHandle, 1, &handle) &&
                      set(plan, kAttrPlanEngineConfig, kTypeBackendDescriptor, 1, &handles[i]) &&
                      api.BackendFinalize(plan.handle) == kCudnnSuccess &&
                      ok(api.BackendGetAttribute(plan.handle, kAttrPlanWorkspaceSize, kTypeInt64, 1, &found, &workspace),
                         "workspace size")) ||
                    static_cast<size_t>(workspace) > max_workspace)
                    continue;
                if (heur_mode == kHeurModeInstant) engines_of_a.push_back(index);
                Candidate c;
                c.name = "graph-API engine " + std::to_string(index) + " config " + std::to_string(i) +
                         (heur_mode == kHeurModeInstant ? " (heuristic A)" : " (fallback)");
                c.kind = "graph API";
                c.workspace = static_cast<size_t>(workspace);
                c.heuristic_only = true;
                c.plan = plans_.size();
                plans_.push_back(std::move(plan));
                candidates.push_back(std::move(c));
                ++added;
            }
            keep_alive_.push_back(std::move(heur));
            for (auto& config : configs) keep_alive_.push_back(std::move(config));
        }
        // The descriptors the plans came from live as long as the plans (whether a finalized plan still reads them is
        // not documented).
        for (Descriptor* d : {&x, &w, &y, &conv, &op, &graph}) keep_alive_.push_back(std::move(*d));
        return " (" + std::to_string(added) + " from the graph API" +
               (compiled ? "; run-time-compiled engines left out: " + std::to_string(compiled) : "") +
               (added == 0 && !failure.empty() ? ": " + failure : "") + ")";
    }

    // The variant pack binding these buffers and the workspace, made on first use (the bench rotates a few sets).
    cudnnBackendDescriptor_t variant_pack(const void* x, const void* w, void* y, std::string& error) {
        for (const auto& [key, pack] : variant_packs_)
            if (key[0] == x && key[1] == w && key[2] == y) return pack.handle;
        Descriptor pack;
        const int64_t uids[3] = {kUidX, kUidW, kUidY};
        const void* pointers[3] = {x, w, y};
        if (!check(api.BackendCreateDescriptor(kBackendVariantPack, &pack.handle), "cudnnBackendCreateDescriptor", error) ||
            !check(api.BackendSetAttribute(pack.handle, kAttrVariantPackUniqueIds, kTypeInt64, 3, uids),
                   "cudnnBackendSetAttribute(variant pack ids)", error) ||
            !check(api.BackendSetAttribute(pack.handle, kAttrVariantPackDataPointers, kTypeVoidPtr, 3, pointers),
                   "cudnnBackendSetAttribute(variant pack pointers)", error) ||
            !check(api.BackendSetAttribute(pack.handle, kAttrVariantPackWorkspace, kTypeVoidPtr, 1, &workspace_),
                   "cudnnBackendSetAttribute(variant pack workspace)", error) ||
            !check(api.BackendFinalize(pack.handle), "cudnnBackendFinalize(variant pack)", error))
            return nullptr;
        variant_packs_.emplace_back(std::array<const void*, 3>{x, w, y}, std::move(pack));
        return variant_packs_.back().second.handle;
    }

    // Enqueues one call of `c` (a legacy candidate runs with the math type conv_desc_ holds).
    bool forward(const Candidate& c, const void* x, const void* w, void* y, std::string& error) {
        if (c.plan != SIZE_MAX) {
            cudnnBackendDescriptor_t pack = variant_pack(x, w, y, error);
            return pack != nullptr &&
                   check(api.BackendExecute(handle, plans_[c.plan].handle, pack), "cudnnBackendExecute", error);
        }
        const float alpha = 1.0f, beta = 0.0f;
        return check(api.ConvolutionForward(handle, &alpha, x_desc_, x, w_desc_, w, conv_desc_, c.algo, workspace_,
                                            workspace_bytes_, &beta, y_desc_, y),
                     "cudnnConvolutionForward", error);
    }

    // Time per call of one candidate: `warmup` calls, then `timed` calls between two events on the stream; with
    // `graph`, those calls captured into one CUDA graph and replayed, as the bench times the chosen one: one after
    // the other, at batch 1 the calls measure the host's launch rate (32–101 µs a call on an H100 against 5–15 µs of
    // GPU time, bench/NOTES.md). Where capture fails the calls run eagerly and `graphed` says so.
    bool time_candidate(const Candidate& candidate, const std::vector<VendorBuffers>& sets, int warmup, int timed,
                        bool graph, float& ms, bool& graphed, std::string& reason) {
        if (candidate.plan == SIZE_MAX &&
            !check(api.SetConvolutionMathType(conv_desc_, candidate.math_type), "cudnnSetConvolutionMathType", reason))
            return false;
        const auto call = [&](int i, std::string& error) {
            const VendorBuffers& b = sets[static_cast<size_t>(i) % sets.size()];
            return forward(candidate, b.x, b.w, b.y, error);
        };
        for (int i = 0; i < warmup; ++i)
            if (!call(i, reason)) return false;
        hipGraphExec_t exec = nullptr;
        if (graph) {
            hipGraph_t captured = nullptr;
            std::string ignored;
            NOVA_HIP_CHECK(hipStreamBeginCapture(stream_, hipStreamCaptureModeThreadLocal));
            bool enqueued = true;
            for (int i = 0; i < timed && enqueued; ++i) enqueued = call(i, ignored);
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
            for (int i = 0; ok && i < timed; ++i) ok = call(i, reason);
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

    static constexpr int64_t kUidX = 1, kUidW = 2, kUidY = 3;  // the graph API's names for the three tensors

    hipStream_t stream_ = nullptr;
    cudnnTensorDescriptor_t x_desc_ = nullptr, y_desc_ = nullptr;
    cudnnFilterDescriptor_t w_desc_ = nullptr;
    cudnnConvolutionDescriptor_t conv_desc_ = nullptr;
    std::vector<Descriptor> plans_;
    std::vector<Descriptor> keep_alive_;  // what the plans were built from
    std::vector<std::pair<std::array<const void*, 3>, Descriptor>> variant_packs_;
    Candidate chosen_;
    std::string selection_;
    void* workspace_ = nullptr;
    size_t workspace_bytes_ = 0;  // allocated: the largest need among the timed candidates
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
    auto conv = std::make_unique<CudnnConv>();
    if (!conv->init(shape, nchw, sets, stream, reason)) return nullptr;
    return conv;
}

}  // namespace nova

#endif  // NOVA_PLATFORM_NVIDIA
