#include "graph_executor.hpp"

#include <algorithm>
#include <stdexcept>

#include "../addon/device_context.hpp"
#include "../direct/launch.hpp"
#include "../winograd/launch.hpp"
#include "graph_kernels.hpp"

namespace nova {

namespace {

ConvShape conv_shape(const GraphConv& conv, int h, int w) {
  return make_conv_shape(1, conv.c, h, w, conv.k, 3, 3, 1, 1);
}

// A launcher refused or failed: keep its status and say which node.
void check_launch(hipError_t status, const char* what) {
  if (status != hipSuccess) {
    (void)hipGetLastError();
    throw GpuError(status, std::string(hipGetErrorString(status)) + " (graph " + what + ")");
  }
}

}  // namespace

GraphExecutor::GraphExecutor(GraphSpec spec) : spec_(std::move(spec)), capture_requested_(spec_.capture_graphs) {}

GraphExecutor::~GraphExecutor() { release_all(); }

void GraphExecutor::release_all() noexcept {
  (void)hipSetDevice(spec_.device);
  for (DeviceConv& conv : device_convs_) {
    if (conv.filter) (void)hipFree(conv.filter);
    if (conv.bias) (void)hipFree(conv.bias);
  }
  device_convs_.clear();
  weight_bytes_ = 0;
  release_pool();
  for (hipEvent_t& event : events_) {
    if (event) (void)hipEventDestroy(event);
    event = nullptr;
  }
}

void GraphExecutor::release_graphs() noexcept {
  for (auto& [size, exec] : graphs_) (void)hipGraphExecDestroy(static_cast<hipGraphExec_t>(exec));
  graphs_.clear();
  seen_.clear();
}

std::string GraphExecutor::capture_status() {
  std::lock_guard<std::mutex> lock(status_mutex_);
  if (!capture_failure_.empty()) return "off after a failed capture: " + capture_failure_;
  return capture_requested_ ? "on" : "off";
}

void GraphExecutor::release_pool() {
  release_graphs();
  for (void* slot : slots_) (void)hipFree(slot);
  slots_.clear();
  if (staging_) (void)hipFree(staging_);
  staging_ = nullptr;
  staging_bytes_ = 0;
  pool_pixels_ = 0;
  pool_bytes_ = 0;
}

void GraphExecutor::load() {
  std::lock_guard<std::mutex> lock(mutex_);
  NOVA_HIP_CHECK(hipSetDevice(spec_.device));
  for (hipEvent_t& event : events_) NOVA_HIP_CHECK(hipEventCreate(&event));
  // Filters are converted on the device: fp32 staging → fp16 KRSC (→ U for Winograd).
  size_t largest = 0;
  for (const GraphConv& conv : spec_.convs) largest = std::max(largest, conv.filter.size());
  float* staging = nullptr;
  void* raw = nullptr;
  NOVA_HIP_CHECK(hipMalloc(reinterpret_cast<void**>(&staging), std::max<size_t>(largest, 1) * sizeof(float)));
  try {
    NOVA_HIP_CHECK(hipMalloc(&raw, std::max<size_t>(largest, 1) * 2));
    hipStream_t stream = device_stream(spec_.device);
    for (GraphConv& conv : spec_.convs) {
      DeviceConv device_conv;
      device_convs_.push_back(device_conv);
      DeviceConv& target = device_convs_.back();
      const ConvShape shape = conv_shape(conv, 8, 8);
      NOVA_HIP_CHECK(hipMemcpyAsync(staging, conv.filter.data(), conv.filter.size() * sizeof(float), hipMemcpyHostToDevice, stream));
      if (conv.m == 0) {
        NOVA_HIP_CHECK(hipMalloc(&target.filter, conv.filter.size() * 2));
        weight_bytes_ += conv.filter.size() * 2;
        check_launch(graph_fp32_to_fp16(staging, target.filter, conv.filter.size(), stream), "filter conversion");
      } else {
        const size_t bytes = wino_filter_bytes(shape, conv.m, conv.compensated);
        NOVA_HIP_CHECK(hipMalloc(&target.filter, bytes));
        weight_bytes_ += bytes;
        check_launch(graph_fp32_to_fp16(staging, raw, conv.filter.size(), stream), "filter conversion");
        check_launch(wino_prepare_filter(raw, target.filter, shape, conv.m, conv.compensated, stream),
                     "Winograd filter preparation");
      }
      if (!conv.bias.empty()) {
        NOVA_HIP_CHECK(hipMemcpyAsync(staging, conv.bias.data(), conv.bias.size() * sizeof(float), hipMemcpyHostToDevice, stream));
        NOVA_HIP_CHECK(hipMalloc(&target.bias, conv.bias.size() * 2));
        weight_bytes_ += conv.bias.size() * 2;
        check_launch(graph_fp32_to_fp16(staging, target.bias, conv.bias.size(), stream), "bias conversion");
      }
      NOVA_HIP_CHECK(hipStreamSynchronize(stream));  // staging is reused by the next conv
      conv.filter = std::vector<float>();
      conv.bias = std::vector<float>();
    }
  } catch (...) {
    (void)hipFree(staging);
    if (raw) (void)hipFree(raw);
    throw;
  }
  (void)hipFree(staging);
  (void)hipFree(raw);
}

void GraphExecutor::trim() {
  std::lock_guard<std::mutex> lock(mutex_);
  NOVA_HIP_CHECK(hipStreamSynchronize(device_stream(spec_.device)));
  release_pool();
}

void GraphExecutor::ensure_pool(size_t pixels, hipStream_t stream) {
  if (pixels <= pool_pixels_) return;
  NOVA_HIP_CHECK(hipStreamSynchronize(stream));
  release_pool();
  for (int64_t units : spec_.slot_units) {
    void* slot = nullptr;
    const size_t bytes = static_cast<size_t>(units) * pixels * 2;
    NOVA_HIP_CHECK(hipMalloc(&slot, bytes));
    slots_.push_back(slot);
    pool_bytes_ += bytes;
  }
  // fp32 staging: the input, the output, or the largest capture.
  int64_t largest = std::max<int64_t>(spec_.input_channels, int64_t(spec_.output_channels) * spec_.output_upscale * spec_.output_upscale);
  for (const GraphStep& step : spec_.steps) largest = std::max<int64_t>(largest, int64_t(step.channels) * step.upscale * step.upscale);
  staging_bytes_ = static_cast<size_t>(largest) * pixels * sizeof(float);
  NOVA_HIP_CHECK(hipMalloc(&staging_, staging_bytes_));
  pool_bytes_ += staging_bytes_;
  pool_pixels_ = pixels;
}

void GraphExecutor::run_step(const GraphStep& step, int h, int w, hipStream_t stream) {
  void* out = slots_[step.out_slot];
  const int in_h = h * step.in_upscale, in_w = w * step.in_upscale;
  const size_t out_pixels = size_t(h) * step.upscale * w * step.upscale;
  const size_t count = out_pixels * step.channels;
  auto in = [&](size_t i) { return static_cast<const void*>(slots_[step.in_slots[i]]); };
  switch (step.op) {
    case GraphOp::kConv: {
      const GraphConv& conv = spec_.convs[step.conv];
      const DeviceConv& weights = device_convs_[step.conv];
      const ConvShape shape = conv_shape(conv, in_h, in_w);
      if (conv.m == 0) {
        check_launch(direct_conv2d_fp16_nhwc(in(0), weights.filter, weights.bias, out, shape, conv.relu, stream),
                     "direct conv");
      } else {
        check_launch(wino_conv2d_fp16_nhwc(in(0), weights.filter, weights.bias, out, shape, conv.m, conv.relu,
                                           conv.compensated, stream, WinoFilterState::kSettled),  // load() synchronized
                     "Winograd conv");
      }
      if (conv.leaky) check_launch(graph_activation_fp16(out, conv.negative_slope, out, count, stream), "leaky ReLU");
      break;
    }
    case GraphOp::kConcat: {
      int offset = 0;
      for (size_t i = 0; i < step.in_slots.size(); ++i) {
        check_launch(graph_copy_channels_fp16(in(i), step.in_channels[i], out, step.channels, offset, out_pixels, stream),
                     "concat");
        offset += step.in_channels[i];
      }
      break;
    }
    case GraphOp::kAdd:
      check_launch(graph_add_fp16(in(0), in(1), step.factor, out, count, stream), "add");
      break;
    case GraphOp::kScale:
      check_launch(graph_scale_fp16(in(0), step.factor, out, count, stream), "scale");
      break;
    case GraphOp::kActivation:
      check_launch(graph_activation_fp16(in(0), step.negative_slope, out, count, stream), "activation");
      break;
    case GraphOp::kDepthToSpace:
      check_launch(graph_depth_to_space_fp16(in(0), in_h, in_w, step.in_channels[0], step.block, out, stream),
                   "depth-to-space");
      break;
  }
}

void GraphExecutor::run_steps(int h, int w, hipStream_t stream) {
  for (const GraphStep& step : spec_.steps) run_step(step, h, w, stream);
}

bool GraphExecutor::capture(int h, int w, hipStream_t stream) {
  auto give_up = [&](const std::string& why) {
    (void)hipGetLastError();
    {
      std::lock_guard<std::mutex> lock(status_mutex_);
      capture_failure_ = why;
    }
    spec_.capture_graphs = false;
    release_graphs();
    return false;
  };
  hipError_t status = hipStreamBeginCapture(stream, hipStreamCaptureModeThreadLocal);
  if (status != hipSuccess) return give_up(std::string("begin capture: ") + hipGetErrorString(status));
  std::string failure;
  try {
    run_steps(h, w, stream);
  } catch (const std::exception& error) {
    failure = error.what();
  }
  hipGraph_t graph = nullptr;
  status = hipStreamEndCapture(stream, &graph);
  if (failure.empty() && status != hipSuccess) failure = std::string("end capture: ") + hipGetErrorString(status);
  hipGraphExec_t exec = nullptr;
  if (failure.empty()) {
    status = hipGraphInstantiateWithFlags(&exec, graph, 0);
    if (status != hipSuccess) failure = std::string("instantiate: ") + hipGetErrorString(status);
  }
  if (graph) (void)hipGraphDestroy(graph);
  if (!failure.empty()) return give_up(failure);
  graphs_[{h, w}] = exec;
  return true;
}

void GraphExecutor::run(const float* input, int h, int w, float* output, const std::vector<GraphCapture>& captures,
                        GraphTimings& timings) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (events_[0] == nullptr) throw std::runtime_error("graph weights are not loaded");
  hipStream_t stream = device_stream(spec_.device);  // sets the device; one stream per device, shared by all calls

  const size_t pixels = size_t(h) * w;
  ensure_pool(pixels, stream);
  const size_t in_count = pixels * spec_.input_channels;
  NOVA_HIP_CHECK(hipEventRecord(events_[0], stream));
  NOVA_HIP_CHECK(hipMemcpyAsync(staging_, input, in_count * sizeof(float), hipMemcpyHostToDevice, stream));
  check_launch(graph_fp32_to_fp16(static_cast<const float*>(staging_), slots_[spec_.input_slot], in_count, stream),
               "input conversion");
  NOVA_HIP_CHECK(hipEventRecord(events_[1], stream));
  // The first run of a size is eager (kernel attributes get set outside any capture); the second captures the
  // nodes into a graph and replays it, as do all later runs. Debug captures always run eagerly.
  const std::pair<int, int> size{h, w};
  if (spec_.capture_graphs && captures.empty()) {
    if (graphs_.count(size) == 0 && seen_[size]++ > 0) capture(h, w, stream);
    auto found = graphs_.find(size);
    if (found != graphs_.end()) {
      NOVA_HIP_CHECK(hipGraphLaunch(static_cast<hipGraphExec_t>(found->second), stream));
      timings.replayed = true;
    }
  }
  for (size_t i = 0; i < spec_.steps.size() && !timings.replayed; ++i) {
    const GraphStep& step = spec_.steps[i];
    run_step(step, h, w, stream);
    for (const GraphCapture& capture : captures) {
      if (capture.step != static_cast<int>(i)) continue;
      check_launch(graph_fp16_to_fp32(slots_[step.out_slot], static_cast<float*>(staging_), capture.count, stream),
                   "capture conversion");
      NOVA_HIP_CHECK(hipMemcpyAsync(capture.host, staging_, capture.count * sizeof(float), hipMemcpyDeviceToHost, stream));
      NOVA_HIP_CHECK(hipStreamSynchronize(stream));  // staging is reused by the next capture
    }
  }
  NOVA_HIP_CHECK(hipEventRecord(events_[2], stream));
  const size_t out_count = pixels * spec_.output_upscale * spec_.output_upscale * spec_.output_channels;
  check_launch(graph_fp16_to_fp32(slots_[spec_.output_slot], static_cast<float*>(staging_), out_count, stream),
               "output conversion");
  NOVA_HIP_CHECK(hipMemcpyAsync(output, staging_, out_count * sizeof(float), hipMemcpyDeviceToHost, stream));
  NOVA_HIP_CHECK(hipEventRecord(events_[3], stream));
  NOVA_HIP_CHECK(hipStreamSynchronize(stream));
  NOVA_HIP_CHECK(hipEventElapsedTime(&timings.upload_ms, events_[0], events_[1]));
  NOVA_HIP_CHECK(hipEventElapsedTime(&timings.compute_ms, events_[1], events_[2]));
  NOVA_HIP_CHECK(hipEventElapsedTime(&timings.download_ms, events_[2], events_[3]));
}

}  // namespace nova
