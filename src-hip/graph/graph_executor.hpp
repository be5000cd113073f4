// The native graph executor: runs a whole network (convolutions through the Winograd / direct launchers, the rest
// through graph_kernels.hpp) on one device stream, with every intermediate tensor in a pool of device slots that
// is planned in TypeScript (src-ts/graph/passes.ts: planMemory) and reused across nodes and across runs.
// Plain C++, no N-API: graph_exports.cpp wraps it, and a C++ driver could use it alike.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "../compat/hip_compat.hpp"

namespace nova {

struct GraphConv {
  int k = 0, c = 0;
  int m = 0;                 // Winograd output tile (2, 4, 6, 8), or 0 for the direct kernel
  bool compensated = false;  // Winograd-domain tiles stored as fp16 hi + lo
  bool relu = false;         // fused into the conv epilogue
  float negative_slope = 0;  // LeakyReLU slope when leaky; applied by a separate kernel (the epilogues do ReLU only)
  bool leaky = false;
  std::vector<float> filter;  // KRSC fp32 as loaded; released after upload
  std::vector<float> bias;    // K values or empty
};

enum class GraphOp { kConv, kConcat, kAdd, kScale, kActivation, kDepthToSpace };

struct GraphStep {
  GraphOp op = GraphOp::kConv;
  int out_slot = -1;
  std::vector<int> in_slots;
  std::vector<int> in_channels;
  int channels = 0;  // of the output
  int upscale = 1;   // output size = upscale × input size
  int in_upscale = 1;
  int conv = -1;       // index into convs (kConv)
  float factor = 1.f;  // kScale; kAdd: scale of the second operand
  float negative_slope = 0.f;  // kActivation
  int block = 0;               // kDepthToSpace
};

struct GraphSpec {
  int device = 0;
  // Replay the node sequence as a captured CUDA/HIP graph from the second run of a size on (no launch gaps).
  bool capture_graphs = true;
  std::vector<int64_t> slot_units;  // fp16 elements per input pixel
  int input_slot = -1, input_channels = 0;
  int output_slot = -1, output_channels = 0, output_upscale = 1;
  std::vector<GraphStep> steps;
  std::vector<GraphConv> convs;
};

struct GraphTimings {
  float upload_ms = 0, compute_ms = 0, download_ms = 0;
  bool replayed = false;  // the nodes ran as a graph replay
};

// One requested debug copy: the output of step `step` (fp32, NHWC) into `host`, which holds `count` floats.
struct GraphCapture {
  int step = -1;
  float* host = nullptr;
  size_t count = 0;
};

class GraphExecutor {
 public:
  explicit GraphExecutor(GraphSpec spec);
  ~GraphExecutor();
  GraphExecutor(const GraphExecutor&) = delete;
  GraphExecutor& operator=(const GraphExecutor&) = delete;

  // Converts and uploads the weights (Winograd filters transformed once). Worker thread; throws GpuError.
  void load();
  // One inference: input h×w×input_channels fp32 host → output fp32 host. Runs are serialized per executor.
  void run(const float* input, int h, int w, float* output, const std::vector<GraphCapture>& captures,
           GraphTimings& timings);
  // Device bytes held: weights + pooled slots.
  // Readable from the JS thread while a run holds the pool (never blocks on it).
  size_t weight_bytes() const { return weight_bytes_.load(); }
  size_t pooled_bytes() const { return pool_bytes_.load(); }
  // Frees the pooled slots (the weights stay); the next run allocates again.
  void trim();
  int device() const { return spec_.device; }
  // "on", "off", or why capture was turned off after a failure.
  std::string capture_status();
  int input_channels() const { return spec_.input_channels; }
  // Output floats per input pixel.
  int64_t output_units() const { return int64_t(spec_.output_channels) * spec_.output_upscale * spec_.output_upscale; }
  // Floats per input pixel of a step's output, or -1 when there is no such step.
  int64_t step_units(int step) const {
    if (step < 0 || step >= static_cast<int>(spec_.steps.size())) return -1;
    const GraphStep& s = spec_.steps[step];
    return int64_t(s.channels) * s.upscale * s.upscale;
  }

 private:
  struct DeviceConv {
    void* filter = nullptr;  // fp16 KRSC (direct) or U (Winograd)
    void* bias = nullptr;    // fp16, or null
  };
  void ensure_pool(size_t pixels, hipStream_t stream);
  void release_pool();
  void release_all() noexcept;
  void run_step(const GraphStep& step, int h, int w, hipStream_t stream);
  void run_steps(int h, int w, hipStream_t stream);
  // Captures the steps for h×w into a graph; false (capture turned off, reason kept) when the runtime refuses.
  bool capture(int h, int w, hipStream_t stream);
  void release_graphs() noexcept;

  GraphSpec spec_;
  const bool capture_requested_;
  std::vector<DeviceConv> device_convs_;
  std::atomic<size_t> weight_bytes_{0};
  std::mutex mutex_;  // one run (or trim) at a time: the pool is shared
  std::vector<void*> slots_;
  size_t pool_pixels_ = 0;  // input pixels the pool is sized for
  std::atomic<size_t> pool_bytes_{0};
  void* staging_ = nullptr;  // fp32 staging for the image at the edges and for captures
  size_t staging_bytes_ = 0;
  hipEvent_t events_[4] = {nullptr, nullptr, nullptr, nullptr};
  std::map<std::pair<int, int>, void*> graphs_;  // (h, w) → hipGraphExec_t; valid while the pool is not reallocated
  std::map<std::pair<int, int>, int> seen_;       // sizes run eagerly once (warm-up before capture)
  std::mutex status_mutex_;  // guards capture_failure_, which capture_status() reads from the JS thread
  std::string capture_failure_;
};

}  // namespace nova
