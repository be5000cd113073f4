/** Backend providers: how the API learns what is available (with the reason when not) and opens a backend. */
import type { Backend, BackendInfo, BackendKind } from '../backends/backend.js';
import { cpuBackendInfo, createCpuBackend } from '../backends/cpu-backend.js';
import { gpuProvider } from '../backends/gpu-backend.js';

export interface BackendProvider {
  /** Never rejects: loads the addon if needed and reports availability with the reason. */
  info(): Promise<BackendInfo>;
  create(): Promise<Backend>;
}

export const providers: Readonly<Record<BackendKind, BackendProvider>> = {
  cpu: { info: async () => cpuBackendInfo(), create: async () => createCpuBackend() },
  cuda: gpuProvider('cuda'),
  hip: gpuProvider('hip'),
};
