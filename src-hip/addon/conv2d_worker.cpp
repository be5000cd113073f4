// conv2d(args) and prepareFilter(args): the baton is read from one plain object on the JS thread (field names as
// in GpuConvArgs, src-ts/binding/gpu-native.ts). conv2d enqueues the launches of src-hip/{winograd,direct}/launch.hpp,
// with layout conversions around NHWC-only kernels, on the device's stream from the JS thread and returns a
// PendingCall; prepareFilter runs them on a worker thread and synchronizes the stream there.
#include <cmath>
#include <cstdint>
#include <string>

#include "../winograd/launch.hpp"
#include "device_context.hpp"
#include "device_worker.hpp"
#include "napi_errors.hpp"
#include "pending_call.hpp"

namespace nova {

namespace {

constexpr size_t kHalfBytes = 2;

int get_int(Napi::Env env, const Napi::Object& args, const char* name, int min, int max) {
    Napi::Value value = args.Get(name);
    NOVA_TYPEERROR_IF(!value.IsNumber(), "Expected integer between ", min, " and ", max, " for ", name,
                      " but received a value of type ", type_name(value));
    const double number = value.As<Napi::Number>().DoubleValue();
    NOVA_RANGEERROR_IF(!(number >= min && number <= max) || number != std::floor(number), "Expected integer between ",
                       min, " and ", max, " for ", name, " but received ", number);
    return static_cast<int>(number);
}

bool get_bool(Napi::Env env, const Napi::Object& args, const char* name, bool optional = false) {
    Napi::Value value = args.Get(name);
    if (optional && value.IsUndefined()) return false;
    NOVA_TYPEERROR_IF(!value.IsBoolean(), "Expected a boolean for ", name, " but received a value of type ", type_name(value));
    return value.As<Napi::Boolean>().Value();
}

// One of two spellings; returns true for `second`.
bool get_choice(Napi::Env env, const Napi::Object& args, const char* name, const char* first, const char* second) {
    Napi::Value value = args.Get(name);
    NOVA_TYPEERROR_IF(!value.IsString(), "Expected one of '", first, "', '", second, "' for ", name,
                      " but received a value of type ", type_name(value));
    const std::string text = value.As<Napi::String>().Utf8Value();
    NOVA_RANGEERROR_IF(text != first && text != second, "Expected one of '", first, "', '", second, "' for ", name,
                       " but received '", text, "'");
    return text == second;
}

// What one convolution needs, copied off the JS objects (all plain values).
struct ConvBaton {
    ConvShape shape{};
    bool nchw = false;        // activations NCHW: converted to NHWC and back around the kernel
    bool filter_kcrs = false; // raw filter in KCRS: converted to KRSC first
    bool winograd = false;
    int m = 0;                // Winograd output tile (2, 4, 6, 8)
    bool compensated = false;
    bool filter_prepared = false;  // winograd: `filter` already holds U from prepareFilter
    bool relu = false;
};

size_t product(std::initializer_list<int> sizes) {
    size_t total = 1;
    for (int size : sizes) total *= static_cast<size_t>(size);
    return total;
}

ConvBaton read_baton(Napi::Env env, const Napi::Object& args) {
    constexpr int kMaxDim = 1 << 30;
    constexpr int kMaxWindow = 65535;
    ConvBaton baton;
    ConvShape& shape = baton.shape;
    shape.n = get_int(env, args, "n", 1, kMaxDim);
    shape.c = get_int(env, args, "c", 1, kMaxDim);
    shape.h = get_int(env, args, "h", 1, kMaxDim);
    shape.w = get_int(env, args, "w", 1, kMaxDim);
    shape.k = get_int(env, args, "k", 1, kMaxDim);
    shape.r = get_int(env, args, "r", 1, kMaxWindow);
    shape.s = get_int(env, args, "s", 1, kMaxWindow);
    shape.pad_h = get_int(env, args, "padH", 0, kMaxWindow);
    shape.pad_w = get_int(env, args, "padW", 0, kMaxWindow);
    shape.stride_h = get_int(env, args, "strideH", 1, kMaxWindow);
    shape.stride_w = get_int(env, args, "strideW", 1, kMaxWindow);
    shape.dil_h = get_int(env, args, "dilationH", 1, kMaxWindow);
    shape.dil_w = get_int(env, args, "dilationW", 1, kMaxWindow);
    const int64_t span_h = static_cast<int64_t>(shape.h) + 2LL * shape.pad_h - int64_t{shape.dil_h} * (shape.r - 1) - 1;
    const int64_t span_w = static_cast<int64_t>(shape.w) + 2LL * shape.pad_w - int64_t{shape.dil_w} * (shape.s - 1) - 1;
    NOVA_RANGEERROR_IF(span_h < 0 || span_w < 0, "Expected a filter window that fits the padded input (",
                       shape.h, "x", shape.w, " padded by ", shape.pad_h, ",", shape.pad_w, ") but the dilated window is ",
                       int64_t{shape.dil_h} * (shape.r - 1) + 1, "x", int64_t{shape.dil_w} * (shape.s - 1) + 1);
    shape.out_h = static_cast<int>(span_h / shape.stride_h + 1);
    shape.out_w = static_cast<int>(span_w / shape.stride_w + 1);
    constexpr size_t kMaxElements = (size_t{1} << 31) - 1;  // kernels index with 32-bit signed integers
    NOVA_RANGEERROR_IF(product({shape.n, shape.c, shape.h, shape.w}) > kMaxElements ||
                           product({shape.n, shape.k, shape.out_h, shape.out_w}) > kMaxElements ||
                           product({shape.k, shape.c, shape.r, shape.s}) > kMaxElements,
                       "Expected tensors of at most ", kMaxElements, " elements");
    baton.nchw = get_choice(env, args, "layout", "nhwc", "nchw");
    baton.filter_kcrs = get_choice(env, args, "filterLayout", "krsc", "kcrs");
    baton.winograd = get_choice(env, args, "algorithm", "direct", "winograd");
    baton.relu = get_bool(env, args, "relu");
    if (baton.winograd) {
        baton.m = get_int(env, args, "m", 2, 8);
        baton.compensated = get_bool(env, args, "compensated", true);
        baton.filter_prepared = get_bool(env, args, "filterPrepared", true);
    }
    return baton;
}

// nullptr when the chosen kernel can run the problem, else its reason.
const char* unsupported_reason(const ConvBaton& baton) {
    return baton.winograd ? wino_can_implement(baton.shape, baton.m, baton.compensated) : direct_can_implement(baton.shape);
}

std::string algorithm_name(const ConvBaton& baton) {
    return baton.winograd ? make_string("winograd F(", baton.m, ",3)") : std::string("direct");
}

// read_baton, then E_UNSUPPORTED when the kernel cannot run the problem (the TS backend asks canImplement first).
ConvBaton read_runnable_baton(Napi::Env env, const Napi::Object& args) {
    ConvBaton baton = read_baton(env, args);
    const char* reason = unsupported_reason(baton);
    if (reason != nullptr) {
        throw make_js_error(env, "E_UNSUPPORTED", make_string(algorithm_name(baton), " cannot run this problem: ", reason));
    }
    return baton;
}

size_t input_bytes(const ConvShape& s) { return product({s.n, s.c, s.h, s.w}) * kHalfBytes; }
size_t output_bytes(const ConvShape& s) { return product({s.n, s.k, s.out_h, s.out_w}) * kHalfBytes; }
size_t filter_bytes(const ConvShape& s) { return product({s.k, s.c, s.r, s.s}) * kHalfBytes; }

// The KRSC filter: `filter` itself, or a converted copy in `scratch`.
const void* filter_krsc(const ConvBaton& baton, const void* filter, ScratchBuffer& scratch, hipStream_t stream) {
    if (!baton.filter_kcrs) return filter;
    const ConvShape& s = baton.shape;
    void* converted = scratch.allocate(filter_bytes(s));
    NOVA_HIP_CHECK(nchw_to_nhwc_fp16(filter, converted, s.k, s.c, s.r, s.s, stream));
    return converted;
}

// The buffers of one conv2d, pinned on the JS thread for the call's lifetime.
struct ConvBuffers {
    const void* input = nullptr;
    const void* filter = nullptr;
    const void* bias = nullptr;
    void* output = nullptr;
};

// conv2d({input, filter, bias, output, n, c, h, w, k, r, s, padH, padW, strideH, strideW, dilationH, dilationW,
//         layout, filterLayout, algorithm, relu, and for winograd m, compensated?, filterPrepared?})
ConvBuffers pin_conv_buffers(Napi::Env env, BufferPins& pins, const ConvBaton& baton, const Napi::Object& args) {
    const ConvShape& s = baton.shape;
    const bool prepared = baton.winograd && baton.filter_prepared;
    const size_t filter_min = prepared ? wino_filter_bytes(s, baton.m, baton.compensated) : filter_bytes(s);
    ConvBuffers buffers;
    buffers.input = pins.pin_buffer(env, args.Get("input"), "input", input_bytes(s));
    buffers.filter = pins.pin_buffer(env, args.Get("filter"), "filter", filter_min);
    Napi::Value bias = args.Get("bias");
    if (!bias.IsNull() && !bias.IsUndefined()) {
        buffers.bias = pins.pin_buffer(env, bias, "bias", static_cast<size_t>(s.k) * kHalfBytes);
    }
    buffers.output = pins.pin_buffer(env, args.Get("output"), "output", output_bytes(s));
    NOVA_RANGEERROR_IF(buffers.output == buffers.input || buffers.output == buffers.filter || buffers.output == buffers.bias,
                       "Expected an output DeviceBuffer distinct from input, filter and bias");
    return buffers;
}

// Enqueues one convolution on `stream`: layout conversions around the NHWC kernels, the filter transform when the
// filter is raw. Scratch blocks go back to the pool on return, behind the launches that use them (stream order).
void enqueue_conv2d(const ConvBaton& baton, const ConvBuffers& buffers, int device, hipStream_t stream) {
    const ConvShape& s = baton.shape;
    ScratchBuffer input_nhwc_scratch{device}, output_nhwc_scratch{device}, filter_scratch{device}, u_scratch{device};
    const void* x = buffers.input;
    void* y = buffers.output;
    if (baton.nchw) {
        void* converted = input_nhwc_scratch.allocate(input_bytes(s));
        NOVA_HIP_CHECK(nchw_to_nhwc_fp16(buffers.input, converted, s.n, s.c, s.h, s.w, stream));
        x = converted;
        y = output_nhwc_scratch.allocate(output_bytes(s));
    }
    if (baton.winograd) {
        const void* prepared = buffers.filter;
        if (!baton.filter_prepared) {
            void* transformed = u_scratch.allocate(wino_filter_bytes(s, baton.m, baton.compensated));
            NOVA_HIP_CHECK(wino_prepare_filter(filter_krsc(baton, buffers.filter, filter_scratch, stream), transformed, s,
                                               baton.m, baton.compensated, stream));
            prepared = transformed;
        }
        // A plan's filter was prepared by an earlier call, which synchronized; else the kernel just before wrote it.
        const WinoFilterState filter_state =
            baton.filter_prepared ? WinoFilterState::kSettled : WinoFilterState::kMayBeInFlight;
        NOVA_HIP_CHECK(wino_conv2d_fp16_nhwc(x, prepared, buffers.bias, y, s, baton.m, baton.relu, baton.compensated,
                                             stream, filter_state));
    } else {
        NOVA_HIP_CHECK(direct_conv2d_fp16_nhwc(x, filter_krsc(baton, buffers.filter, filter_scratch, stream), buffers.bias,
                                               y, s, baton.relu, stream));
    }
    if (baton.nchw) NOVA_HIP_CHECK(nhwc_to_nchw_fp16(y, buffers.output, s.n, s.k, s.out_h, s.out_w, stream));
}

class PrepareFilterWorker final : public DeviceWorker {
public:
    // prepareFilter({filter, output, <the conv2d problem fields>}): winograd → U (wino_filter_bytes);
    // direct → the filter as KRSC (k·c·r·s fp16).
    PrepareFilterWorker(Napi::Env env, const Napi::Object& args)
        : DeviceWorker(env, "prepareFilter"), baton_(read_runnable_baton(env, args)) {
        const ConvShape& s = baton_.shape;
        const size_t out_min = baton_.winograd ? wino_filter_bytes(s, baton_.m, baton_.compensated) : filter_bytes(s);
        filter_ = pin_buffer(args.Get("filter"), "filter", filter_bytes(s));
        output_ = pin_buffer(args.Get("output"), "output", out_min);
        NOVA_RANGEERROR_IF(output_ == filter_, "Expected an output DeviceBuffer distinct from filter");
    }

private:
    void run() override {
        hipStream_t stream = device_stream(device());
        const ConvShape& s = baton_.shape;
        if (baton_.winograd) {
            ScratchBuffer filter_scratch{device()};
            NOVA_HIP_CHECK(wino_prepare_filter(filter_krsc(baton_, filter_, filter_scratch, stream), output_, s,
                                                 baton_.m, baton_.compensated, stream));
            NOVA_HIP_CHECK(hipStreamSynchronize(stream));
            return;
        }
        if (baton_.filter_kcrs) {
            NOVA_HIP_CHECK(nchw_to_nhwc_fp16(filter_, output_, s.k, s.c, s.r, s.s, stream));
        } else {
            NOVA_HIP_CHECK(hipMemcpyAsync(output_, filter_, filter_bytes(s), hipMemcpyDeviceToDevice, stream));
        }
        NOVA_HIP_CHECK(hipStreamSynchronize(stream));
    }

    ConvBaton baton_;
    const void* filter_ = nullptr;
    void* output_ = nullptr;
};

Napi::Object args_object(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    NOVA_TYPEERROR_IF(!info[0].IsObject() || info[0].IsArray(), "Expected an object of arguments for args");
    return info[0].As<Napi::Object>();
}

}  // namespace

// canImplement(args) → null, or the reason the chosen kernel cannot run the problem.
Napi::Value can_implement(const Napi::CallbackInfo& info) {
    const char* reason = unsupported_reason(read_baton(info.Env(), args_object(info)));
    return reason == nullptr ? info.Env().Null() : Napi::String::New(info.Env(), reason);
}

// preferredWinogradM(args) → the tile size the kernels run fastest for this shape (wino_preferred_m, measured).
Napi::Value preferred_winograd_m(const Napi::CallbackInfo& info) {
    const ConvBaton baton = read_baton(info.Env(), args_object(info));
    return Napi::Number::New(info.Env(), wino_preferred_m(baton.shape));
}

// preparedFilterBytes(args) → bytes prepareFilter writes: U for winograd, else the KRSC filter.
Napi::Value prepared_filter_bytes(const Napi::CallbackInfo& info) {
    const ConvBaton baton = read_baton(info.Env(), args_object(info));
    const size_t bytes = baton.winograd ? wino_filter_bytes(baton.shape, baton.m, baton.compensated) : filter_bytes(baton.shape);
    return Napi::Number::New(info.Env(), static_cast<double>(bytes));
}

// conv2d(args) → a PendingCall (pending_call.hpp): the launches are enqueued here, on the JS thread. Bad arguments
// throw TypeError / RangeError / E_UNSUPPORTED, a runtime failure while enqueueing throws E_DEVICE / E_OOM; either way
// nothing stays pinned.
Napi::Value conv2d(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Napi::Object args = args_object(info);
    const ConvBaton baton = read_runnable_baton(env, args);
    Napi::Object object = PendingCall::create(env, "conv2d");
    PendingCall* call = PendingCall::Unwrap(object);
    try {
        const ConvBuffers buffers = pin_conv_buffers(env, call->pins(), baton, args);
        const int device = call->pins().device();
        const hipStream_t stream = device_stream(device);
        enqueue_conv2d(baton, buffers, device, stream);
        call->start(stream);
    } catch (const GpuError& error) {
        (void)hipGetLastError();  // leave no stale error for the next call on this thread
        call->pins().release();
        throw make_js_error(env, error_code_of(error.code()), make_string("conv2d: ", error.what()));
    } catch (...) {
        call->pins().release();
        throw;
    }
    return object;
}

Napi::Value prepare_filter(const Napi::CallbackInfo& info) {
    return start_worker<PrepareFilterWorker>(info.Env(), args_object(info));
}

}  // namespace nova
