// N-API surface of the graph executor (typed in src-ts/graph/gpu-executor.ts): the class `Graph`
//   new Graph(spec)                      spec as built by src-ts/graph/gpu-executor.ts (checked here)
//   graph.load(): Promise<void>          converts and uploads the weights
//   graph.run(input, h, w, output, timings, captures?): Promise<void>
//                                        one inference in one AsyncWorker; timings: Float64Array(4) ← upload,
//                                        compute, download ms (device events), 1 if the nodes ran as a graph
//                                        replay; captures: [[step, Float32Array], …] (always eager)
//   graph.pooledBytes(), graph.weightBytes(), graph.captureStatus(), graph.trim(), graph.dispose()
#pragma once

#include <napi.h>

namespace nova {

void register_graph_exports(Napi::Env env, Napi::Object exports);

}  // namespace nova
