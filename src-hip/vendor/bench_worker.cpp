// benchConv(args) → Promise: times our kernels and the vendor library's convolution on the SAME device buffers, with
// device events around the GPU work only, and returns per-repetition times, the vendor's chosen algorithm, a count
// of non-finite outputs (outputs are poisoned with NaN first) and the outputs at sampled indices for the accuracy
// check done in TypeScript against a float64 reference. vendorInfo() → which vendor library loads, or why not.
//
// Method (bench/README.md): inputs, filters and outputs are rotated over enough buffer sets to exceed 3× L2 (50 MB on an
// H100), so that no call finds its operands in L2; warm-up calls first; then either CUDA/HIP graphs of G calls, G a
// multiple of the sets so every replay cycles through all of them, replayed `reps` times (per-call time = replay / G,
// launch gaps gone), or one event pair per eager call.
#include "vendor_exports.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../addon/device_context.hpp"
#include "../addon/napi_errors.hpp"
#include "../winograd/launch.hpp"
#include "vendor_conv.hpp"

namespace nova {
namespace {

struct Target {
    bool vendor = false;
    int m = 0;  // 2, 4, 6, 8: Winograd F(m,3); 0: direct
    bool compensated = false;
    std::string label;
};

struct TargetResult {
    std::string label;
    bool ok = false;
    bool unsupported = false;  // our kernel's can_implement said no (reason says why)
    std::string reason;        // why it did not run (cannot implement, vendor unavailable, runtime error)
    std::string algorithm;  // vendor: what its search chose; ours: the kernel
    std::string selection;  // vendor: the candidates it chose among and their times
    std::string mode;       // "graph" or "events"
    std::string mode_note;  // why graph capture was not used, when it was asked for
    int calls_per_replay = 1;
    std::vector<double> times_us;  // per call, one entry per repetition
    double prepare_us = 0;         // filter transform (ours, once per weight), not in times_us
    size_t workspace_bytes = 0;
    size_t non_finite = 0;
    std::vector<uint16_t> samples;
};

// Owns one device allocation.
class DeviceAlloc {
public:
    DeviceAlloc() = default;
    explicit DeviceAlloc(size_t bytes) { NOVA_HIP_CHECK(hipMalloc(&ptr_, std::max<size_t>(bytes, 1))); }
    DeviceAlloc(DeviceAlloc&& o) noexcept : ptr_(o.ptr_) { o.ptr_ = nullptr; }
    DeviceAlloc& operator=(DeviceAlloc&& o) noexcept {
        std::swap(ptr_, o.ptr_);
        return *this;
    }
    DeviceAlloc(const DeviceAlloc&) = delete;
    ~DeviceAlloc() {
        if (ptr_) (void)hipFree(ptr_);
    }
    void* get() const { return ptr_; }

private:
    void* ptr_ = nullptr;
};

class Events {
public:
    explicit Events(size_t count) : events_(count, nullptr) {
        for (auto& e : events_) NOVA_HIP_CHECK(hipEventCreate(&e));
    }
    ~Events() {
        for (auto e : events_)
            if (e) (void)hipEventDestroy(e);
    }
    hipEvent_t operator[](size_t i) const { return events_[i]; }

private:
    std::vector<hipEvent_t> events_;
};

bool is_finite_half(uint16_t h) { return (h & 0x7c00u) != 0x7c00u; }

std::string status_text(hipError_t status, const char* call) {
    return std::string(call) + ": " + hipGetErrorString(status);
}

class BenchWorker final : public Napi::AsyncWorker {
public:
    BenchWorker(Napi::Env env, Napi::Object args)
        : Napi::AsyncWorker(env, "benchConv"), deferred_(Napi::Promise::Deferred::New(env)) {
        parse(env, args);
    }
    Napi::Promise promise() { return deferred_.Promise(); }

protected:
    void Execute() override {
        try {
            run();
        } catch (const GpuError& error) {
            (void)hipGetLastError();
            SetError(std::string("benchConv: ") + error.what());
        } catch (const std::exception& error) {
            SetError(std::string("benchConv: ") + error.what());
        } catch (...) {
            SetError("benchConv: unknown native exception");
        }
    }

    void OnOK() override {
        Napi::Env env = Env();
        Napi::Object out = Napi::Object::New(env);
        out.Set("rotation", Napi::Number::New(env, static_cast<double>(sets_)));
        out.Set("bytesPerSet", Napi::Number::New(env, static_cast<double>(set_bytes_)));
        out.Set("l2Bytes", Napi::Number::New(env, static_cast<double>(l2_bytes_)));
        Napi::Array list = Napi::Array::New(env, results_.size());
        for (size_t i = 0; i < results_.size(); ++i) {
            const TargetResult& r = results_[i];
            Napi::Object o = Napi::Object::New(env);
            o.Set("label", r.label);
            o.Set("ok", r.ok);
            o.Set("unsupported", r.unsupported);
            if (!r.reason.empty()) o.Set("reason", r.reason);
            o.Set("algorithm", r.algorithm);
            if (!r.selection.empty()) o.Set("selection", r.selection);
            o.Set("mode", r.mode);
            if (!r.mode_note.empty()) o.Set("modeNote", r.mode_note);
            o.Set("callsPerReplay", r.calls_per_replay);
            Napi::Float64Array times = Napi::Float64Array::New(env, r.times_us.size());
            std::copy(r.times_us.begin(), r.times_us.end(), times.Data());
            o.Set("timesUs", times);
            o.Set("prepareUs", r.prepare_us);
            o.Set("workspaceBytes", static_cast<double>(r.workspace_bytes));
            o.Set("nonFinite", static_cast<double>(r.non_finite));
            Napi::Uint16Array samples = Napi::Uint16Array::New(env, r.samples.size());
            std::copy(r.samples.begin(), r.samples.end(), samples.Data());
            o.Set("samples", samples);
            list.Set(static_cast<uint32_t>(i), o);
        }
        out.Set("results", list);
        deferred_.Resolve(out);
    }

    void OnError(const Napi::Error& error) override {
        deferred_.Reject(make_js_error(Env(), "E_DEVICE", error.Message()).Value());
    }

private:
    void parse(Napi::Env env, Napi::Object args) {
        auto integer = [&](const char* name, int lo, int hi) {
            Napi::Value v = args.Get(name);
            NOVA_TYPEERROR_IF(!v.IsNumber(), "Expected an integer for ", name, " but received a value of type ",
                              v.Type());
            const double d = v.As<Napi::Number>().DoubleValue();
            NOVA_RANGEERROR_IF(!(d >= lo && d <= hi) || std::floor(d) != d, "Expected an integer between ", lo,
                               " and ", hi, " for ", name, " but received ", d);
            return static_cast<int>(d);
        };
        auto view = [&](const char* name, size_t elements, Napi::Reference<Napi::Object>& keep) {
            Napi::Value v = args.Get(name);
            NOVA_TYPEERROR_IF(!v.IsTypedArray(), "Expected a Uint16Array for ", name);
            Napi::TypedArray t = v.As<Napi::TypedArray>();
            NOVA_TYPEERROR_IF(t.TypedArrayType() != napi_uint16_array, "Expected a Uint16Array for ", name);
            NOVA_RANGEERROR_IF(t.ElementLength() != elements, "Expected ", elements, " elements for ", name,
                               " but received ", t.ElementLength());
            keep = Napi::Persistent(v.As<Napi::Object>());
            return reinterpret_cast<const uint16_t*>(static_cast<const char*>(t.ArrayBuffer().Data()) + t.ByteOffset());
        };
        const int n = integer("n", 1, 1 << 16), c = integer("c", 1, 1 << 16), h = integer("h", 1, 1 << 16);
        const int w = integer("w", 1, 1 << 16), k = integer("k", 1, 1 << 16);
        shape_ = make_conv_shape(n, c, h, w, k, 3, 3, 1, 1);
        Napi::Value layout = args.Get("layout");
        NOVA_TYPEERROR_IF(!layout.IsString(), "Expected 'nhwc' or 'nchw' for layout");
        const std::string layout_text = layout.As<Napi::String>().Utf8Value();
        NOVA_RANGEERROR_IF(layout_text != "nhwc" && layout_text != "nchw",
                           "Expected 'nhwc' or 'nchw' for layout but received ", layout_text);
        nchw_ = layout_text == "nchw";
        warmup_ = integer("warmup", 0, 10000);
        reps_ = integer("reps", 1, 100000);
        max_calls_per_replay_ = integer("callsPerReplay", 1, 1000);
        rotate_ = integer("rotate", 0, 64);
        Napi::Value graph = args.Get("graph");
        NOVA_TYPEERROR_IF(!graph.IsBoolean(), "Expected a boolean for graph");
        graph_ = graph.As<Napi::Boolean>().Value();

        input_ = view("input", size_t(n) * c * h * w, input_ref_);
        filter_ = view("filter", size_t(k) * c * 9, filter_ref_);
        Napi::Value s = args.Get("samples");
        NOVA_TYPEERROR_IF(!s.IsTypedArray() || s.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array,
                          "Expected a Uint32Array for samples");
        Napi::Uint32Array samples = s.As<Napi::Uint32Array>();
        const size_t out_elements = size_t(n) * k * shape_.out_h * shape_.out_w;
        sample_index_.assign(samples.Data(), samples.Data() + samples.ElementLength());
        for (uint32_t i : sample_index_)
            NOVA_RANGEERROR_IF(i >= out_elements, "Expected sample indices below ", out_elements, " but received ", i);

        Napi::Value targets = args.Get("targets");
        NOVA_TYPEERROR_IF(!targets.IsArray(), "Expected an array for targets");
        Napi::Array list = targets.As<Napi::Array>();
        for (uint32_t i = 0; i < list.Length(); ++i) {
            Napi::Value t = list.Get(i);
            NOVA_TYPEERROR_IF(!t.IsString(), "Expected strings for targets");
            const std::string name = t.As<Napi::String>().Utf8Value();
            Target target;
            target.label = name;
            if (name == "vendor") {
                target.vendor = true;
            } else if (name == "direct") {
                target.m = 0;
            } else if (name.rfind("winograd-f", 0) == 0) {
                const std::string rest = name.substr(10);
                target.compensated = rest.size() > 1 && rest.substr(1) == "-compensated";
                target.m = rest.empty() ? -1 : rest[0] - '0';
                NOVA_RANGEERROR_IF(target.m != 2 && target.m != 4 && target.m != 6 && target.m != 8,
                                   "Expected winograd-f2|f4|f6|f8[-compensated], 'direct' or 'vendor' in targets but "
                                   "received ", name);
                NOVA_RANGEERROR_IF(rest.size() > 1 && !target.compensated, "Unknown target ", name);
            } else {
                NOVA_RANGEERROR_IF(true, "Expected winograd-f2|f4|f6|f8[-compensated], 'direct' or 'vendor' in targets "
                                         "but received ", name);
            }
            targets_.push_back(target);
        }
    }

    void run() {
        stream_ = device_stream(0);
        int l2 = 0;
        if (hipDeviceGetAttribute(&l2, hipDeviceAttributeL2CacheSize, 0) != hipSuccess) {
            (void)hipGetLastError();
            l2 = 50 << 20;
        }
        l2_bytes_ = static_cast<size_t>(l2);
        const size_t x_bytes = size_t(shape_.n) * shape_.c * shape_.h * shape_.w * 2;
        const size_t w_bytes = size_t(shape_.k) * shape_.c * 9 * 2;
        y_bytes_ = size_t(shape_.n) * shape_.k * shape_.out_h * shape_.out_w * 2;
        set_bytes_ = x_bytes + w_bytes + y_bytes_;
        // Enough sets that their total is 3× L2, so each call reads from memory as a network layer would (a cap of 16
        // sets left batch-1 layers of under ~3 MB a set in L2 until the twenty-fifth session, bench/NOTES.md).
        sets_ = rotate_ > 0 ? rotate_
                            : static_cast<int>(std::clamp<size_t>((3 * l2_bytes_ + set_bytes_ - 1) / set_bytes_, 1, kMaxAutoSets));
        for (int s = 0; s < sets_; ++s) {
            x_.emplace_back(x_bytes);
            w_.emplace_back(w_bytes);
            y_.emplace_back(y_bytes_);
        }
        NOVA_HIP_CHECK(hipMemcpyAsync(x_[0].get(), input_, x_bytes, hipMemcpyHostToDevice, stream_));
        NOVA_HIP_CHECK(hipMemcpyAsync(w_[0].get(), filter_, w_bytes, hipMemcpyHostToDevice, stream_));
        for (int s = 1; s < sets_; ++s) {
            NOVA_HIP_CHECK(hipMemcpyAsync(x_[s].get(), x_[0].get(), x_bytes, hipMemcpyDeviceToDevice, stream_));
            NOVA_HIP_CHECK(hipMemcpyAsync(w_[s].get(), w_[0].get(), w_bytes, hipMemcpyDeviceToDevice, stream_));
        }
        NOVA_HIP_CHECK(hipStreamSynchronize(stream_));
        host_y_.resize(y_bytes_ / 2);
        for (const Target& t : targets_) results_.push_back(run_target(t));
    }

    using Launch = std::function<std::string(int set)>;  // empty string = enqueued fine

    TargetResult run_target(const Target& t) {
        TargetResult r;
        r.label = t.label;
        try {
            if (t.vendor) {
                std::string reason;
                std::vector<VendorBuffers> sets;
                for (int s = 0; s < sets_; ++s) sets.push_back({x_[s].get(), w_[s].get(), y_[s].get()});
                std::unique_ptr<VendorConv> conv = make_vendor_conv(shape_, nchw_, sets, stream_, reason);
                if (!conv) {
                    r.reason = reason;
                    return r;
                }
                r.algorithm = conv->algorithm();
                r.selection = conv->selection();
                r.workspace_bytes = conv->workspace_bytes();
                VendorConv* c = conv.get();
                measure(r, [this, c](int s) {
                    std::string error;
                    c->run(x_[s].get(), w_[s].get(), y_[s].get(), error);
                    return error;
                });
            } else {
                run_ours(t, r);
            }
        } catch (const GpuError& error) {
            (void)hipGetLastError();
            r.ok = false;
            r.reason = error.what();
        }
        return r;
    }

    void run_ours(const Target& t, TargetResult& r) {
        const char* why = t.m == 0 ? direct_can_implement(shape_) : wino_can_implement(shape_, t.m, t.compensated);
        if (why != nullptr) {
            r.unsupported = true;
            r.reason = why;
            return;
        }
        // NCHW: our kernels are NHWC, so the timed call converts in and out (its real cost for an NCHW user).
        DeviceAlloc x_nhwc, y_nhwc;
        std::vector<DeviceAlloc> w_krsc;
        const size_t x_bytes = size_t(shape_.n) * shape_.c * shape_.h * shape_.w * 2;
        const size_t w_bytes = size_t(shape_.k) * shape_.c * 9 * 2;
        if (nchw_) {
            x_nhwc = DeviceAlloc(x_bytes);
            y_nhwc = DeviceAlloc(y_bytes_);
            for (int s = 0; s < sets_; ++s) {
                w_krsc.emplace_back(w_bytes);
                NOVA_HIP_CHECK(nchw_to_nhwc_fp16(w_[s].get(), w_krsc.back().get(), shape_.k, shape_.c, 3, 3, stream_));
            }
        }
        auto filter_of = [&](int s) { return nchw_ ? w_krsc[s].get() : w_[s].get(); };

        std::vector<DeviceAlloc> u;
        if (t.m != 0) {
            const size_t u_bytes = wino_filter_bytes(shape_, t.m, t.compensated);
            Events ev(2);
            for (int s = 0; s < sets_; ++s) {
                u.emplace_back(u_bytes);
                if (s == 0) NOVA_HIP_CHECK(hipEventRecord(ev[0], stream_));
                NOVA_HIP_CHECK(wino_prepare_filter(filter_of(s), u.back().get(), shape_, t.m, t.compensated, stream_));
                if (s == 0) NOVA_HIP_CHECK(hipEventRecord(ev[1], stream_));
            }
            NOVA_HIP_CHECK(hipStreamSynchronize(stream_));
            float ms = 0;
            NOVA_HIP_CHECK(hipEventElapsedTime(&ms, ev[0], ev[1]));
            r.prepare_us = ms * 1000.0;
            r.algorithm = "fused F(" + std::to_string(t.m) + ",3) fp16" + (t.compensated ? " compensated" : "") +
                          ", pre-transformed filter";
        } else {
            r.algorithm = "direct";
        }
        if (nchw_) r.algorithm += ", NCHW converted in and out";

        measure(r, [&, this](int s) -> std::string {
            const void* x = x_[s].get();
            void* y = y_[s].get();
            hipError_t status = hipSuccess;
            if (nchw_) {
                status = nchw_to_nhwc_fp16(x, x_nhwc.get(), shape_.n, shape_.c, shape_.h, shape_.w, stream_);
                if (status != hipSuccess) return status_text(status, "nchw_to_nhwc_fp16");
                x = x_nhwc.get();
                y = y_nhwc.get();
            }
            status = t.m == 0 ? direct_conv2d_fp16_nhwc(x, filter_of(s), nullptr, y, shape_, false, stream_)
                              : wino_conv2d_fp16_nhwc(x, u[s].get(), nullptr, y, shape_, t.m, false, t.compensated,
                                                      stream_, WinoFilterState::kSettled);  // prepared, synchronized
            if (status != hipSuccess) return status_text(status, t.m == 0 ? "direct_conv2d_fp16_nhwc" : "wino_conv2d_fp16_nhwc");
            if (nchw_) {
                status = nhwc_to_nchw_fp16(y, y_[s].get(), shape_.n, shape_.k, shape_.out_h, shape_.out_w, stream_);
                if (status != hipSuccess) return status_text(status, "nhwc_to_nchw_fp16");
            }
            return {};
        });
        // What the launch rules chose, read on the thread that launched (their record is per thread).
        if (t.m != 0 && r.ok) r.algorithm += "; " + wino_describe(wino_last_launch());
    }

    // `calls` calls (argument sets 0, 1, …) captured and instantiated as one graph into `exec`; empty, or why not.
    std::string capture_graph(const Launch& launch, int calls, hipGraphExec_t& exec) {
        hipGraph_t graph = nullptr;
        std::string error;
        NOVA_HIP_CHECK(hipStreamBeginCapture(stream_, hipStreamCaptureModeThreadLocal));
        for (int i = 0; i < calls && error.empty(); ++i) error = launch(i % sets_);
        const hipError_t end = hipStreamEndCapture(stream_, &graph);
        hipError_t inst = hipErrorInvalidValue;
        if (error.empty() && end == hipSuccess) inst = hipGraphInstantiateWithFlags(&exec, graph, 0);
        if (graph) (void)hipGraphDestroy(graph);
        if (error.empty() && end == hipSuccess && inst == hipSuccess) return {};
        (void)hipGetLastError();
        if (exec) (void)hipGraphExecDestroy(exec);
        exec = nullptr;
        return !error.empty()      ? "graph capture failed: " + error
               : end != hipSuccess ? status_text(end, "stream capture")
                                   : status_text(inst, "graph instantiate");
    }

    // Correctness pass on poisoned outputs, warm-up, then timing. Fills r (ok, mode, times, samples).
    void measure(TargetResult& r, const Launch& launch) {
        NOVA_HIP_CHECK(hipMemsetAsync(y_[0].get(), 0xff, y_bytes_, stream_));  // 0xffff is an fp16 NaN
        std::string error = launch(0);
        if (!error.empty()) {
            r.reason = error;
            return;
        }
        NOVA_HIP_CHECK(hipGetLastError());
        NOVA_HIP_CHECK(hipMemcpyAsync(host_y_.data(), y_[0].get(), y_bytes_, hipMemcpyDeviceToHost, stream_));
        NOVA_HIP_CHECK(hipStreamSynchronize(stream_));
        r.non_finite = static_cast<size_t>(std::count_if(host_y_.begin(), host_y_.end(), [](uint16_t h) { return !is_finite_half(h); }));
        r.samples.reserve(sample_index_.size());
        for (uint32_t i : sample_index_) r.samples.push_back(host_y_[i]);

        for (int i = 0; i < warmup_; ++i)
            if (!(error = launch(i % sets_)).empty()) return fail(r, error);
        Events ev(2 * size_t(reps_));
        if (graph_) {
            // G calls per replay, so that a replay lasts ≥ ~200 µs, from the time per call in a replayed graph of
            // kProbeCalls. Timed eagerly, a call also counts the host's work before its launch (a graph-API engine of
            // cuDNN: ~100 µs), which once made G = 2 for an 8 µs layer and put the graph launch's cost in its time.
            constexpr int kProbeCalls = 8;
            hipGraphExec_t exec = nullptr;
            std::string why = capture_graph(launch, kProbeCalls, exec);
            if (why.empty()) {
                Events probe(2);
                NOVA_HIP_CHECK(hipGraphLaunch(exec, stream_));  // upload + warm
                NOVA_HIP_CHECK(hipEventRecord(probe[0], stream_));
                NOVA_HIP_CHECK(hipGraphLaunch(exec, stream_));
                NOVA_HIP_CHECK(hipEventRecord(probe[1], stream_));
                NOVA_HIP_CHECK(hipStreamSynchronize(stream_));
                float probe_ms = 0;
                NOVA_HIP_CHECK(hipEventElapsedTime(&probe_ms, probe[0], probe[1]));
                (void)hipGraphExecDestroy(exec);
                exec = nullptr;
                const int sized = std::clamp(
                    static_cast<int>(std::ceil(200.0 * kProbeCalls / std::max(probe_ms * 1000.0, 1.0))), 1,
                    max_calls_per_replay_);
                const int calls = calls_through_every_set(sized, size_t(sets_));
                why = capture_graph(launch, calls, exec);
                if (why.empty()) {
                    for (int i = 0; i < 2; ++i) NOVA_HIP_CHECK(hipGraphLaunch(exec, stream_));  // upload + warm
                    for (int rep = 0; rep < reps_; ++rep) {
                        NOVA_HIP_CHECK(hipEventRecord(ev[2 * rep], stream_));
                        NOVA_HIP_CHECK(hipGraphLaunch(exec, stream_));
                        NOVA_HIP_CHECK(hipEventRecord(ev[2 * rep + 1], stream_));
                    }
                    NOVA_HIP_CHECK(hipStreamSynchronize(stream_));
                    (void)hipGraphExecDestroy(exec);
                    r.mode = "graph";
                    r.calls_per_replay = calls;
                    collect(r, ev, calls);
                    return;
                }
            }
            // Capture is not possible for this call (the vendor may allocate or synchronize inside): say so, time eagerly.
            r.mode_note = why;
        }
        for (int rep = 0; rep < reps_; ++rep) {
            NOVA_HIP_CHECK(hipEventRecord(ev[2 * rep], stream_));
            if (!(error = launch(rep % sets_)).empty()) return fail(r, error);
            NOVA_HIP_CHECK(hipEventRecord(ev[2 * rep + 1], stream_));
        }
        NOVA_HIP_CHECK(hipStreamSynchronize(stream_));
        r.mode = "events";
        r.calls_per_replay = 1;
        collect(r, ev, 1);
    }

    void collect(TargetResult& r, const Events& ev, int calls) {
        NOVA_HIP_CHECK(hipGetLastError());
        r.times_us.resize(size_t(reps_));
        for (int rep = 0; rep < reps_; ++rep) {
            float ms = 0;
            NOVA_HIP_CHECK(hipEventElapsedTime(&ms, ev[2 * rep], ev[2 * rep + 1]));
            r.times_us[size_t(rep)] = ms * 1000.0 / calls;
        }
        r.ok = true;
    }

    void fail(TargetResult& r, const std::string& error) {
        (void)hipStreamSynchronize(stream_);
        (void)hipGetLastError();
        r.ok = false;
        r.reason = error;
    }

    Napi::Promise::Deferred deferred_;
    Napi::Reference<Napi::Object> input_ref_, filter_ref_;
    const uint16_t* input_ = nullptr;
    const uint16_t* filter_ = nullptr;
    ConvShape shape_{};
    bool nchw_ = false;
    bool graph_ = true;
    int warmup_ = 10, reps_ = 50, max_calls_per_replay_ = 20, rotate_ = 0;
    std::vector<uint32_t> sample_index_;
    std::vector<Target> targets_;

    static constexpr size_t kMaxAutoSets = 4096;  // 3× a 50 MB L2 in sets of ≥ 37 KB; every suite layer's are ≥ 180 KB
    hipStream_t stream_ = nullptr;
    int sets_ = 1;
    size_t set_bytes_ = 0, y_bytes_ = 0, l2_bytes_ = 0;
    std::vector<DeviceAlloc> x_, w_, y_;
    std::vector<uint16_t> host_y_;
    std::vector<TargetResult> results_;
};

Napi::Value bench_conv(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    NOVA_TYPEERROR_IF(info.Length() < 1 || !info[0].IsObject(), "Expected an options object for benchConv");
    auto* worker = new BenchWorker(env, info[0].As<Napi::Object>());
    Napi::Promise promise = worker->promise();
    worker->Queue();
    return promise;
}

// vendorInfo(): { library, available, reason?, version? }. Loads the library (and creates its handle) once.
Napi::Value vendor_info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    VendorLibrary lib;
    try {
        lib = vendor_library(device_stream(0));
    } catch (const std::exception& error) {
        (void)hipGetLastError();
#if defined(NOVA_PLATFORM_AMD)
        lib.name = "miopen";
#else   // !NOVA_PLATFORM_AMD
        lib.name = "cudnn";
#endif  // NOVA_PLATFORM_AMD
        lib.reason = error.what();
    }
    out.Set("library", lib.name);
    out.Set("available", lib.available);
    if (!lib.reason.empty()) out.Set("reason", lib.reason);
    if (!lib.version.empty()) out.Set("version", lib.version);
    return out;
}

}  // namespace

void register_vendor_exports(Napi::Env env, Napi::Object exports) {
    exports.Set("vendorInfo", Napi::Function::New<vendor_info>(env, "vendorInfo"));
    exports.Set("benchConv", Napi::Function::New<bench_conv>(env, "benchConv"));
}

}  // namespace nova
