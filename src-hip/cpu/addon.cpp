// nova_cpu.node: N-API surface of the CPU convolutions (typed in src-ts/binding/cpu-native.ts; contract in
// docs/architecture.md "CPU addon"). conv2d validates everything on the JS thread (TypeError / RangeError, so a raw
// call cannot crash the process), copies the arguments into a plain job, keeps the typed arrays alive with
// persistent references, and computes on the libuv pool; Execute touches only the job.
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <new>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "conv.hpp"

namespace {

using nova::cpu::Algorithm;
using nova::cpu::ConvArgs;
using nova::cpu::ConvShape;
using nova::cpu::ConvStats;
using nova::cpu::Layout;
using nova::cpu::StageStats;
using nova::cpu::Storage;
using nova::cpu::WinogradMatrices;

constexpr std::int64_t kMaxDimension = 2147483647;  // 2^31 − 1
constexpr std::int64_t kMaxWindowParam = 65535;
constexpr std::int64_t kMaxThreads = 1024;

int default_threads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

// ---- argument reading -------------------------------------------------------------------------------------------

const char* typed_array_name(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "TypedArray";
  }
}

std::string type_of(const Napi::Value& value) {
  if (value.IsUndefined()) return "undefined";
  if (value.IsNull()) return "null";
  if (value.IsBoolean()) return "boolean";
  if (value.IsNumber()) return "number";
  if (value.IsString()) return "string";
  if (value.IsSymbol()) return "symbol";
  if (value.IsBigInt()) return "bigint";
  if (value.IsFunction()) return "function";
  if (value.IsTypedArray()) return typed_array_name(value.As<Napi::TypedArray>().TypedArrayType());
  if (value.IsArray()) return "array";
  return "object";
}

std::string render(const Napi::Value& value) {
  if (value.IsNumber()) return value.ToString().Utf8Value();
  if (value.IsBoolean()) return value.As<Napi::Boolean>().Value() ? "true" : "false";
  if (value.IsString()) {
    std::string text = value.As<Napi::String>().Utf8Value();
    if (text.size() > 40) text = text.substr(0, 40) + "...";
    return "\"" + text + "\"";
  }
  if (value.IsTypedArray()) {
    return type_of(value) + "(" + std::to_string(value.As<Napi::TypedArray>().ElementLength()) + ")";
  }
  return type_of(value);
}

std::string expected(const std::string& what, const std::string& name, const Napi::Value& value) {
  return "Expected " + what + " for args." + name + " but received " + render(value) + " of type " + type_of(value);
}

[[noreturn]] void throw_type(const Napi::Env& env, const std::string& what, const std::string& name, const Napi::Value& value) {
  throw Napi::TypeError::New(env, expected(what, name, value));
}

[[noreturn]] void throw_range(const Napi::Env& env, const std::string& message) {
  throw Napi::RangeError::New(env, message);
}

std::int64_t read_int(const Napi::Object& args, const char* name, std::int64_t min, std::int64_t max) {
  const Napi::Env env = args.Env();
  const Napi::Value value = args.Get(name);
  const std::string what = "integer between " + std::to_string(min) + " and " + std::to_string(max);
  if (!value.IsNumber()) throw_type(env, what, name, value);
  const double d = value.As<Napi::Number>().DoubleValue();
  if (!(std::isfinite(d) && d == std::floor(d) && d >= static_cast<double>(min) && d <= static_cast<double>(max))) {
    throw_range(env, expected(what, name, value));
  }
  return static_cast<std::int64_t>(d);
}

bool read_bool(const Napi::Object& args, const char* name) {
  const Napi::Value value = args.Get(name);
  if (!value.IsBoolean()) throw_type(args.Env(), "boolean", name, value);
  return value.As<Napi::Boolean>().Value();
}

/** Index of the value in `choices`; `fallback` when undefined and a fallback is given. */
std::size_t read_choice(const Napi::Object& args, const char* name, const std::vector<std::string>& choices, int fallback = -1) {
  const Napi::Value value = args.Get(name);
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "'" : ", '") + c + "'";
  const std::string what = "one of " + list;
  if (value.IsUndefined() && fallback >= 0) return static_cast<std::size_t>(fallback);
  if (!value.IsString()) throw_type(args.Env(), what, name, value);
  const std::string text = value.As<Napi::String>().Utf8Value();
  const auto found = std::find(choices.begin(), choices.end(), text);
  if (found == choices.end()) throw_range(args.Env(), expected(what, name, value));
  return static_cast<std::size_t>(found - choices.begin());
}

struct ArrayView {
  Napi::Value value;
  napi_typedarray_type type = napi_float64_array;
  std::size_t length = 0;
  void* data = nullptr;
};

/** A Float64Array or Float32Array (of `type` when given). Reads the data pointer without touching the buffer
 *  object, so SharedArrayBuffer-backed arrays work too. */
ArrayView read_float_array(const Napi::Object& args, const char* name, const napi_typedarray_type* type) {
  const Napi::Env env = args.Env();
  ArrayView view;
  view.value = args.Get(name);
  const std::string what = type ? typed_array_name(*type) : "Float64Array or Float32Array";
  if (!view.value.IsTypedArray()) throw_type(env, what, name, view.value);
  napi_value buffer;
  std::size_t offset;
  const napi_status status = napi_get_typedarray_info(env, view.value, &view.type, &view.length, &view.data, &buffer, &offset);
  NAPI_THROW_IF_FAILED(env, status, view);
  const bool float_type = view.type == napi_float64_array || view.type == napi_float32_array;
  if (!float_type || (type && view.type != *type)) {
    throw_type(env, what + (type ? " (the same type as args.input)" : ""), name, view.value);
  }
  return view;
}

std::size_t element_size(napi_typedarray_type type) { return type == napi_float64_array ? 8 : 4; }

void check_length(const Napi::Env& env, const ArrayView& view, const char* name, std::int64_t expected_length, const std::string& formula) {
  if (static_cast<std::int64_t>(view.length) != expected_length) {
    throw_range(env, "Expected " + std::string(typed_array_name(view.type)) + " of length " + std::to_string(expected_length) +
                         " (" + formula + ") for args." + name + " but received " + render(view.value));
  }
}

/** Product of positive factors, or a RangeError once it passes 2^52 (far beyond any array, exact in a double). */
std::int64_t checked_product(const Napi::Env& env, std::initializer_list<std::int64_t> factors, const std::string& what) {
  constexpr std::int64_t kLimit = std::int64_t{1} << 52;
  std::int64_t product = 1;
  for (const std::int64_t f : factors) {
    if (product > kLimit / f) throw_range(env, what + " is too large");
    product *= f;
  }
  return product;
}

bool overlaps(const ArrayView& a, const ArrayView& b) {
  if (!a.data || !b.data) return false;
  const auto* a0 = static_cast<const char*>(a.data);
  const auto* b0 = static_cast<const char*>(b.data);
  return a0 < b0 + b.length * element_size(b.type) && b0 < a0 + a.length * element_size(a.type);
}

std::vector<double> read_matrix(const Napi::Object& matrices, const char* name, std::int64_t rows, std::int64_t cols) {
  const Napi::Env env = matrices.Env();
  const napi_typedarray_type f64 = napi_float64_array;
  const Napi::Value value = matrices.Get(name);
  const std::string full = std::string("matrices.") + name;
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != f64) {
    throw_type(env, "Float64Array", full, value);
  }
  const Napi::Float64Array array = value.As<Napi::Float64Array>();
  if (static_cast<std::int64_t>(array.ElementLength()) != rows * cols) {
    throw_range(env, "Expected Float64Array of length " + std::to_string(rows * cols) + " (" + std::to_string(rows) + "×" +
                         std::to_string(cols) + ", row-major) for args." + full + " but received " + render(value));
  }
  std::vector<double> result(array.Data(), array.Data() + array.ElementLength());
  for (const double v : result) {
    if (!std::isfinite(v)) throw_range(env, "Expected finite values in args." + full);
  }
  return result;
}

// ---- the job ---------------------------------------------------------------------------------------------------

using Job = std::variant<ConvArgs<double>, ConvArgs<float>>;

template <typename T>
ConvArgs<T> make_args(const ArrayView& input, const ArrayView& filter, const ArrayView* bias, const ArrayView& output) {
  ConvArgs<T> args;
  args.input = static_cast<const T*>(input.data);
  args.filter = static_cast<const T*>(filter.data);
  args.bias = bias ? static_cast<const T*>(bias->data) : nullptr;
  args.output = static_cast<T*>(output.data);
  return args;
}

Napi::Object stage_to_js(const Napi::Env& env, const StageStats& stats) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("count", static_cast<double>(stats.count));
  object.Set("inf", static_cast<double>(stats.inf));
  object.Set("nan", static_cast<double>(stats.nan));
  object.Set("flushedToZero", static_cast<double>(stats.flushed_to_zero));
  object.Set("subnormal", static_cast<double>(stats.subnormal));
  object.Set("maxAbs", stats.max_abs);
  return object;
}

class ConvWorker final : public Napi::AsyncWorker {
 public:
  ConvWorker(Napi::Env env, Job job, std::vector<Napi::Reference<Napi::Value>> keep_alive)
      : Napi::AsyncWorker(env, "nova_cpu.conv2d"),
        deferred_(Napi::Promise::Deferred::New(env)),
        job_(std::move(job)),
        keep_alive_(std::move(keep_alive)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      stats_ = std::visit([](const auto& args) { return nova::cpu::conv2d(args); }, job_);
    } catch (const std::bad_alloc&) {
      code_ = "E_OOM";
      SetError("nova_cpu.conv2d: out of host memory for the convolution's scratch buffers");
    } catch (const std::exception& error) {
      SetError(std::string("nova_cpu.conv2d: ") + error.what());
    } catch (...) {
      SetError("nova_cpu.conv2d: unknown failure");
    }
  }

  void OnOK() override {
    const Napi::Env env = Env();
    Napi::Object stats = Napi::Object::New(env);
    stats.Set("inputTransform", stage_to_js(env, stats_.input_transform));
    stats.Set("filterTransform", stage_to_js(env, stats_.filter_transform));
    stats.Set("output", stage_to_js(env, stats_.output));
    deferred_.Resolve(stats);
  }

  void OnError(const Napi::Error& error) override {
    Napi::Object rejection = error.Value();
    rejection.Set("code", code_);
    deferred_.Reject(rejection);
  }

 private:
  Napi::Promise::Deferred deferred_;
  Job job_;
  std::vector<Napi::Reference<Napi::Value>> keep_alive_;
  ConvStats stats_;
  std::string code_ = "E_DEVICE";
};

Napi::Value conv2d(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray() || info[0].IsFunction()) {
    throw Napi::TypeError::New(env, "Expected an object for args but received " +
                                        (info.Length() < 1 ? std::string("nothing") : render(info[0]) + " of type " + type_of(info[0])));
  }
  const Napi::Object args = info[0].As<Napi::Object>();

  ConvShape shape{};
  shape.n = read_int(args, "n", 1, kMaxDimension);
  shape.c = read_int(args, "c", 1, kMaxDimension);
  shape.h = read_int(args, "h", 1, kMaxDimension);
  shape.w = read_int(args, "w", 1, kMaxDimension);
  shape.k = read_int(args, "k", 1, kMaxDimension);
  shape.r = read_int(args, "r", 1, kMaxWindowParam);
  shape.s = read_int(args, "s", 1, kMaxWindowParam);
  shape.pad_h = read_int(args, "padH", 0, kMaxWindowParam);
  shape.pad_w = read_int(args, "padW", 0, kMaxWindowParam);
  shape.stride_h = read_int(args, "strideH", 1, kMaxWindowParam);
  shape.stride_w = read_int(args, "strideW", 1, kMaxWindowParam);
  shape.dilation_h = read_int(args, "dilationH", 1, kMaxWindowParam);
  shape.dilation_w = read_int(args, "dilationW", 1, kMaxWindowParam);
  const Layout layout = read_choice(args, "layout", {"nhwc", "nchw"}) == 0 ? Layout::kNhwc : Layout::kNchw;
  const bool relu = read_bool(args, "relu");
  const Algorithm algorithm = read_choice(args, "algorithm", {"direct", "winograd"}) == 0 ? Algorithm::kDirect : Algorithm::kWinograd;
  const Storage storage = static_cast<Storage>(read_choice(args, "storage", {"exact", "fp16", "compensated"}, 0));
  const Napi::Value threads_value = args.Get("threads");
  const int threads = threads_value.IsUndefined() ? default_threads() : static_cast<int>(read_int(args, "threads", 1, kMaxThreads));

  // Sizes: the dilated filter must fit the padded input, and no count may overflow.
  const std::int64_t span_h = shape.dilation_h * (shape.r - 1) + 1, span_w = shape.dilation_w * (shape.s - 1) + 1;
  if (span_h > shape.h + 2 * shape.pad_h || span_w > shape.w + 2 * shape.pad_w) {
    throw_range(env, "args: the dilated filter (" + std::to_string(span_h) + "×" + std::to_string(span_w) +
                         ") is larger than the padded input (" + std::to_string(shape.h + 2 * shape.pad_h) + "×" +
                         std::to_string(shape.w + 2 * shape.pad_w) + ")");
  }
  const std::int64_t out_h = shape.out_h(), out_w = shape.out_w();
  const std::int64_t input_length = checked_product(env, {shape.n, shape.c, shape.h, shape.w}, "args: n·c·h·w");
  const std::int64_t filter_length = checked_product(env, {shape.k, shape.c, shape.r, shape.s}, "args: k·c·r·s");
  const std::int64_t output_length = checked_product(env, {shape.n, shape.k, out_h, out_w}, "args: n·k·outH·outW");

  WinogradMatrices matrices;
  if (algorithm == Algorithm::kWinograd) {
    if (shape.r != 3 || shape.s != 3 || shape.stride_h != 1 || shape.stride_w != 1 || shape.dilation_h != 1 || shape.dilation_w != 1) {
      throw_range(env, "args: Winograd F(m,3) needs r = s = 3, stride 1 and dilation 1 (got r=" + std::to_string(shape.r) +
                           " s=" + std::to_string(shape.s) + " stride " + std::to_string(shape.stride_h) + "×" +
                           std::to_string(shape.stride_w) + " dilation " + std::to_string(shape.dilation_h) + "×" +
                           std::to_string(shape.dilation_w) + ")");
    }
    const int m = static_cast<int>(read_int(args, "m", 2, 8));
    const Napi::Value given = args.Get("matrices");
    if (given.IsUndefined() || given.IsNull()) {
      if (!nova::cpu::has_builtin_matrices(m)) {
        throw_range(env, "args: F(" + std::to_string(m) + ",3) is not in the generated header; pass args.matrices");
      }
      matrices = nova::cpu::builtin_matrices(m);
    } else {
      if (!given.IsObject()) throw_type(env, "an object {at, g, bt} of Float64Array", "matrices", given);
      const Napi::Object object = given.As<Napi::Object>();
      matrices.m = m;
      matrices.at = read_matrix(object, "at", m, m + 2);
      matrices.g = read_matrix(object, "g", m + 2, 3);
      matrices.bt = read_matrix(object, "bt", m + 2, m + 2);
    }
  }

  const ArrayView input = read_float_array(args, "input", nullptr);
  const ArrayView filter = read_float_array(args, "filter", &input.type);
  const ArrayView output = read_float_array(args, "output", &input.type);
  const Napi::Value bias_value = args.Get("bias");
  const bool has_bias = !(bias_value.IsUndefined() || bias_value.IsNull());
  ArrayView bias;
  if (has_bias) bias = read_float_array(args, "bias", &input.type);

  check_length(env, input, "input", input_length, layout == Layout::kNhwc ? "n·h·w·c" : "n·c·h·w");
  check_length(env, filter, "filter", filter_length, "k·c·r·s");
  check_length(env, output, "output", output_length, layout == Layout::kNhwc ? "n·outH·outW·k" : "n·k·outH·outW");
  if (has_bias) check_length(env, bias, "bias", shape.k, "k");
  if (overlaps(output, input) || overlaps(output, filter) || (has_bias && overlaps(output, bias))) {
    throw_range(env, "args.output must not share memory with args.input, args.filter or args.bias");
  }

  auto fill = [&](auto&& conv) {
    conv.shape = shape;
    conv.layout = layout;
    conv.relu = relu;
    conv.algorithm = algorithm;
    conv.storage = storage;
    conv.matrices = std::move(matrices);
    conv.threads = threads;
    return Job(std::move(conv));
  };
  Job job = input.type == napi_float64_array ? fill(make_args<double>(input, filter, has_bias ? &bias : nullptr, output))
                                             : fill(make_args<float>(input, filter, has_bias ? &bias : nullptr, output));

  std::vector<Napi::Reference<Napi::Value>> keep_alive;
  for (const ArrayView* view : {&input, &filter, &output}) keep_alive.push_back(Napi::Persistent(view->value));
  if (has_bias) keep_alive.push_back(Napi::Persistent(bias.value));

  auto* worker = new ConvWorker(env, std::move(job), std::move(keep_alive));
  const Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

Napi::Value version(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  result.Set("napi", NAPI_VERSION);
  result.Set("threads", default_threads());
#if defined(__clang__)
  result.Set("compiler", std::string("clang ") + __clang_version__);
#elif defined(__GNUC__)
  result.Set("compiler", std::string("g++ ") + __VERSION__);
#else
  result.Set("compiler", "unknown");
#endif
  return result;
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", Napi::Function::New(env, conv2d, "conv2d"));
  exports.Set("version", Napi::Function::New(env, version, "version"));
  return exports;
}

}  // namespace

NODE_API_MODULE(nova_cpu, init)
