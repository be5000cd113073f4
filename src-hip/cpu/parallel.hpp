// A tiny fork-join loop over independent work items for the CPU convolutions.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace nova::cpu {

/**
 * Calls body(item, worker) for every item in [0, items) on up to `threads` threads; worker ∈ [0, workers) indexes
 * per-thread scratch. Items are handed out dynamically, so results must not depend on which worker ran an item.
 * The first exception thrown by any body is rethrown here after all threads have joined.
 */
template <typename Body>
void parallel_for(std::int64_t items, int workers, Body&& body) {
  std::atomic<std::int64_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto run = [&](int worker) {
    try {
      for (std::int64_t item = next++; item < items; item = next++) body(item, worker);
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next = items;  // stop handing out work
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(workers > 0 ? workers - 1 : 0));
  try {
    for (int worker = 1; worker < workers; ++worker) pool.emplace_back(run, worker);
  } catch (...) {
    // Could not start a thread: finish with the ones we have.
  }
  run(0);
  for (auto& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
}

/** Workers to use for `items` items when `threads` are allowed. */
inline int worker_count(std::int64_t items, int threads) {
  return static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(items, threads)));
}

}  // namespace nova::cpu
