#include "graph_exports.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../addon/device_worker.hpp"
#include "../addon/napi_errors.hpp"
#include "../winograd/launch.hpp"
#include "graph_executor.hpp"

namespace nova {

namespace {

int32_t int_field(Napi::Env env, Napi::Object object, const char* name, int32_t min, int32_t max) {
  Napi::Value value = object.Get(name);
  NOVA_TYPEERROR_IF(!value.IsNumber(), "Expected a number for graph spec field ", name);
  const double number = value.As<Napi::Number>().DoubleValue();
  NOVA_RANGEERROR_IF(number != static_cast<double>(static_cast<int64_t>(number)) || number < min || number > max,
                     "Expected an integer between ", min, " and ", max, " for graph spec field ", name,
                     " but received ", number);
  return static_cast<int32_t>(number);
}

float float_field(Napi::Env env, Napi::Object object, const char* name) {
  Napi::Value value = object.Get(name);
  NOVA_TYPEERROR_IF(!value.IsNumber(), "Expected a number for graph spec field ", name);
  return value.As<Napi::Number>().FloatValue();
}

std::vector<int> int_list(Napi::Env env, Napi::Object object, const char* name, int max) {
  Napi::Value value = object.Get(name);
  NOVA_TYPEERROR_IF(!value.IsArray(), "Expected an array for graph spec field ", name);
  Napi::Array array = value.As<Napi::Array>();
  std::vector<int> out;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    NOVA_TYPEERROR_IF(!item.IsNumber(), "Expected numbers in graph spec field ", name);
    const int v = item.As<Napi::Number>().Int32Value();
    NOVA_RANGEERROR_IF(v < 0 || v > max, "graph spec field ", name, " holds ", v, ", outside 0 … ", max);
    out.push_back(v);
  }
  return out;
}

std::vector<float> float_array(Napi::Env env, Napi::Value value, const char* name) {
  NOVA_TYPEERROR_IF(!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array,
                    "Expected a Float32Array for ", name);
  Napi::Float32Array array = value.As<Napi::Float32Array>();
  return std::vector<float>(array.Data(), array.Data() + array.ElementLength());
}

GraphSpec parse_spec(Napi::Env env, Napi::Object object) {
  GraphSpec spec;
  spec.device = int_field(env, object, "device", 0, 1023);
  spec.capture_graphs = !object.Has("captureGraphs") || object.Get("captureGraphs").ToBoolean();
  Napi::Value units = object.Get("slotUnits");
  NOVA_TYPEERROR_IF(!units.IsArray(), "Expected an array for graph spec field slotUnits");
  for (uint32_t i = 0; i < units.As<Napi::Array>().Length(); ++i) {
    const int64_t u = units.As<Napi::Array>().Get(i).As<Napi::Number>().Int64Value();
    NOVA_RANGEERROR_IF(u < 1 || u > (int64_t(1) << 24), "graph slot size ", u, " out of range");
    spec.slot_units.push_back(u);
  }
  const int slots = static_cast<int>(spec.slot_units.size());
  NOVA_RANGEERROR_IF(slots < 1, "graph spec has no slots");
  spec.input_slot = int_field(env, object, "inputSlot", 0, slots - 1);
  spec.input_channels = int_field(env, object, "inputChannels", 1, 65536);
  spec.output_slot = int_field(env, object, "outputSlot", 0, slots - 1);
  spec.output_channels = int_field(env, object, "outputChannels", 1, 65536);
  spec.output_upscale = int_field(env, object, "outputUpscale", 1, 64);

  Napi::Value convs = object.Get("convs");
  NOVA_TYPEERROR_IF(!convs.IsArray(), "Expected an array for graph spec field convs");
  for (uint32_t i = 0; i < convs.As<Napi::Array>().Length(); ++i) {
    Napi::Object c = convs.As<Napi::Array>().Get(i).As<Napi::Object>();
    GraphConv conv;
    conv.k = int_field(env, c, "k", 1, 65536);
    conv.c = int_field(env, c, "c", 1, 65536);
    conv.m = int_field(env, c, "m", 0, 8);
    conv.compensated = c.Get("compensated").ToBoolean();
    conv.relu = c.Get("relu").ToBoolean();
    conv.leaky = c.Get("leaky").ToBoolean();
    conv.negative_slope = float_field(env, c, "negativeSlope");
    conv.filter = float_array(env, c.Get("filter"), "conv filter");
    NOVA_RANGEERROR_IF(conv.filter.size() != size_t(conv.k) * 9 * conv.c, "conv ", i, " filter has ", conv.filter.size(),
                       " values, expected K·9·C = ", size_t(conv.k) * 9 * conv.c);
    if (!c.Get("bias").IsNull()) {
      conv.bias = float_array(env, c.Get("bias"), "conv bias");
      NOVA_RANGEERROR_IF(conv.bias.size() != size_t(conv.k), "conv ", i, " bias has ", conv.bias.size(), " values");
    }
    if (conv.m != 0) {
      const ConvShape shape = make_conv_shape(1, conv.c, 8, 8, conv.k, 3, 3, 1, 1);
      const char* why = wino_can_implement(shape, conv.m, conv.compensated);
      NOVA_RANGEERROR_IF(why != nullptr, "conv ", i, ": Winograd F(", conv.m, ",3) cannot run it: ", why);
    }
    spec.convs.push_back(std::move(conv));
  }
  const int conv_count = static_cast<int>(spec.convs.size());

  Napi::Value steps = object.Get("steps");
  NOVA_TYPEERROR_IF(!steps.IsArray(), "Expected an array for graph spec field steps");
  for (uint32_t i = 0; i < steps.As<Napi::Array>().Length(); ++i) {
    Napi::Object s = steps.As<Napi::Array>().Get(i).As<Napi::Object>();
    GraphStep step;
    const std::string op = s.Get("op").ToString().Utf8Value();
    if (op == "conv2d") step.op = GraphOp::kConv;
    else if (op == "concat") step.op = GraphOp::kConcat;
    else if (op == "add") step.op = GraphOp::kAdd;
    else if (op == "scale") step.op = GraphOp::kScale;
    else if (op == "activation") step.op = GraphOp::kActivation;
    else if (op == "depth-to-space") step.op = GraphOp::kDepthToSpace;
    else NOVA_RANGEERROR_IF(true, "graph step ", i, " has unknown op ", op);
    step.out_slot = int_field(env, s, "out", 0, slots - 1);
    step.in_slots = int_list(env, s, "inputs", slots - 1);
    step.in_channels = int_list(env, s, "inputChannels", 65536);
    step.channels = int_field(env, s, "channels", 1, 65536);
    step.upscale = int_field(env, s, "upscale", 1, 64);
    step.in_upscale = int_field(env, s, "inputUpscale", 1, 64);
    step.conv = step.op == GraphOp::kConv ? int_field(env, s, "conv", 0, conv_count - 1) : -1;
    step.factor = float_field(env, s, "factor");
    step.negative_slope = float_field(env, s, "negativeSlope");
    step.block = int_field(env, s, "block", 0, 64);
    NOVA_RANGEERROR_IF(step.in_slots.empty() || step.in_slots.size() != step.in_channels.size(),
                       "graph step ", i, " has inconsistent inputs");
    for (int in : step.in_slots) NOVA_RANGEERROR_IF(in == step.out_slot, "graph step ", i, " writes a slot it reads");
    spec.steps.push_back(std::move(step));
  }
  return spec;
}

class GraphHandle : public Napi::ObjectWrap<GraphHandle> {
 public:
  static Napi::Function define_class(Napi::Env env) {
    return DefineClass(env, "Graph",
                       {InstanceMethod<&GraphHandle::load>("load"), InstanceMethod<&GraphHandle::run>("run"),
                        InstanceMethod<&GraphHandle::pooled_bytes>("pooledBytes"),
                        InstanceMethod<&GraphHandle::weight_bytes>("weightBytes"),
                        InstanceMethod<&GraphHandle::capture_status>("captureStatus"),
                        InstanceMethod<&GraphHandle::trim>("trim"), InstanceMethod<&GraphHandle::dispose>("dispose")});
  }

  explicit GraphHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<GraphHandle>(info) {
    Napi::Env env = info.Env();
    NOVA_TYPEERROR_IF(!info[0].IsObject(), "Expected a graph spec object for spec");
    executor_ = std::make_shared<GraphExecutor>(parse_spec(env, info[0].As<Napi::Object>()));
  }

  std::shared_ptr<GraphExecutor> executor(Napi::Env env) {
    if (!executor_) throw make_js_error(env, "E_DISPOSED", "graph has been disposed");
    return executor_;
  }

 private:
  Napi::Value load(const Napi::CallbackInfo& info);
  Napi::Value run(const Napi::CallbackInfo& info);
  Napi::Value pooled_bytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(executor_ ? executor_->pooled_bytes() : 0));
  }
  Napi::Value weight_bytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(executor_ ? executor_->weight_bytes() : 0));
  }
  Napi::Value capture_status(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), executor_ ? executor_->capture_status() : std::string("disposed"));
  }
  Napi::Value trim(const Napi::CallbackInfo& info);
  // Drops this handle's reference; runs in flight hold their own, so the memory goes when the last one settles.
  Napi::Value dispose(const Napi::CallbackInfo& info) {
    executor_.reset();
    return info.Env().Undefined();
  }

  std::shared_ptr<GraphExecutor> executor_;
};

// Frees device memory off the JS thread: the last reference may be dropped by a worker.
class GraphWorker : public DeviceWorker {
 public:
  GraphWorker(Napi::Env env, const char* name, std::shared_ptr<GraphExecutor> executor)
      : DeviceWorker(env, name), executor_(std::move(executor)) {}

 protected:
  std::shared_ptr<GraphExecutor> executor_;
};

class LoadWorker final : public GraphWorker {
 public:
  using GraphWorker::GraphWorker;

 private:
  void run() override { executor_->load(); }
};

class TrimWorker final : public GraphWorker {
 public:
  using GraphWorker::GraphWorker;

 private:
  void run() override { executor_->trim(); }
};

class RunWorker final : public GraphWorker {
 public:
  RunWorker(const Napi::CallbackInfo& info, std::shared_ptr<GraphExecutor> executor)
      : GraphWorker(info.Env(), "graph.run", std::move(executor)) {
    Napi::Env env = info.Env();
    NOVA_TYPEERROR_IF(!info[1].IsNumber() || !info[2].IsNumber(), "Expected integers for h and w");
    h_ = info[1].As<Napi::Number>().Int32Value();
    w_ = info[2].As<Napi::Number>().Int32Value();
    NOVA_RANGEERROR_IF(h_ < 1 || w_ < 1 || h_ > 32768 || w_ > 32768, "Expected h and w between 1 and 32768");
    const size_t pixels = size_t(h_) * w_;
    const GraphExecutor& graph = *executor_;
    auto [input, in_bytes] = pin_host_view(info[0], "input");
    auto [output, out_bytes] = pin_host_view(info[3], "output");
    auto [timings, timing_bytes] = pin_host_view(info[4], "timings");
    NOVA_RANGEERROR_IF(in_bytes != pixels * graph.input_channels() * sizeof(float), "Expected input of ",
                       pixels * graph.input_channels(), " floats but received ", in_bytes / sizeof(float));
    NOVA_RANGEERROR_IF(out_bytes != pixels * graph.output_units() * sizeof(float), "Expected output of ",
                       pixels * graph.output_units(), " floats but received ", out_bytes / sizeof(float));
    NOVA_RANGEERROR_IF(timing_bytes < 4 * sizeof(double), "Expected a Float64Array(4) for timings");
    input_ = static_cast<const float*>(input);
    output_ = static_cast<float*>(output);
    timings_ = static_cast<double*>(timings);
    if (info.Length() > 5 && info[5].IsArray()) {
      Napi::Array list = info[5].As<Napi::Array>();
      for (uint32_t i = 0; i < list.Length(); ++i) {
        NOVA_TYPEERROR_IF(!list.Get(i).IsArray(), "Expected [step, Float32Array] pairs for captures");
        Napi::Array pair = list.Get(i).As<Napi::Array>();
        GraphCapture capture;
        capture.step = pair.Get(0u).ToNumber().Int32Value();
        const int64_t units = graph.step_units(capture.step);
        NOVA_RANGEERROR_IF(units < 0, "capture step ", capture.step, " does not exist");
        auto [host, bytes] = pin_host_view(pair.Get(1u), "capture");
        NOVA_RANGEERROR_IF(bytes != pixels * units * sizeof(float), "capture of step ", capture.step, " needs ",
                           pixels * units, " floats");
        capture.host = static_cast<float*>(host);
        capture.count = pixels * units;
        captures_.push_back(capture);
      }
    }
  }

 private:
  void run() override {
    GraphTimings timings;
    executor_->run(input_, h_, w_, output_, captures_, timings);
    timings_[0] = timings.upload_ms;
    timings_[1] = timings.compute_ms;
    timings_[2] = timings.download_ms;
    timings_[3] = timings.replayed ? 1 : 0;
  }

  int h_ = 0, w_ = 0;
  const float* input_ = nullptr;
  float* output_ = nullptr;
  double* timings_ = nullptr;
  std::vector<GraphCapture> captures_;
};

Napi::Value GraphHandle::load(const Napi::CallbackInfo& info) {
  return start_worker<LoadWorker>(info.Env(), "graph.load", executor(info.Env()));
}

Napi::Value GraphHandle::trim(const Napi::CallbackInfo& info) {
  return start_worker<TrimWorker>(info.Env(), "graph.trim", executor(info.Env()));
}

Napi::Value GraphHandle::run(const Napi::CallbackInfo& info) {
  return start_worker<RunWorker>(info, executor(info.Env()));
}

}  // namespace

void register_graph_exports(Napi::Env env, Napi::Object exports) {
  // The constructor reference lives as long as the environment (module-level FunctionReference would outlive it).
  Napi::Function graph_class = GraphHandle::define_class(env);
  exports.Set("Graph", graph_class);
}

}  // namespace nova
