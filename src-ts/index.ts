/**
 * NOVA public API.
 *
 * ```ts
 * import { createDevice } from 'nova-conv';
 * const device = await createDevice();                     // best backend present: cuda, hip, then cpu
 * const x = await device.tensor(input, { shape: [1, 56, 56, 64], layout: 'nhwc' });
 * const w = await device.tensor(filter, { shape: [64, 3, 3, 64], layout: 'krsc' });
 * const { output, algorithm, path } = await device.conv2d(x, w, { padding: 1 });
 * ```
 */
export { backends, createDevice, Device } from './api/device.js';
export type { BackendChoice, DeviceOptions, TensorData, TensorOptions } from './api/device.js';
export { Tensor } from './api/tensor.js';
export { ConvPlan } from './api/conv2d.js';
export type { AlgorithmChoice, ConvOptions, ConvResult, ConvRunOptions, PrepareConvOptions } from './api/conv2d.js';
export { NovaError } from './api/errors.js';
export type { NovaErrorCode } from './api/errors.js';
export { fromHalf, toHalf } from './api/fp16.js';
export type {
  Algorithm,
  BackendInfo,
  BackendKind,
  DType,
  Layout,
  WinogradPrecision,
} from './backends/backend.js';
