// N-API surface of the graph executor (typed in src-ts/graph/gpu-executor.ts): the class `Graph`
//   new Graph(spec)                      spec as built by src-ts/graph/gpu-executor.ts (checked here)
//   graph.load(): Promise<void>          converts and uploads the weights
//   graph.run(input, h, w, output, timings, captures?): Promise<void>
//                                        one inference in one AsyncWorker; timings: Float64Array(3) ← upload,
//                                        compute, download ms (device events); captures: [[step, Float32Array], …]
//   graph.pooledBytes(), graph.weightBytes(), graph.trim(), graph.dispose()
#pragma once

#include <napi.h>

namespace nova {

void register_graph_exports(Napi::Env env, Napi::Object exports);

}  // namespace nova
