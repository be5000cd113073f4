// The two convolution paths behind nova::cpu::conv2d. T is the array type, Acc the arithmetic type (T when
// storage is exact, float when fp16 storage is emulated).
#pragma once

#include "conv.hpp"

namespace nova::cpu {

template <typename T, typename Acc>
ConvStats conv2d_direct(const ConvArgs<T>& args);

template <typename T, typename Acc>
ConvStats conv2d_winograd(const ConvArgs<T>& args);

}  // namespace nova::cpu
