/** Backend providers: how the API learns what is available and opens a backend. */
import type { Backend, BackendInfo, BackendKind } from '../backends/backend.js';
import { NovaError } from './errors.js';

export interface BackendProvider {
  /** Never throws: loads the addon if needed and reports availability with the reason. */
  info(): Promise<BackendInfo>;
  create(): Promise<Backend>;
}

function pending(kind: BackendKind): BackendProvider {
  const reason = `the ${kind} backend module is not wired in yet`;
  return {
    info: async () => ({ kind, available: false, reason }),
    create: async () => {
      throw new NovaError('E_BACKEND_UNAVAILABLE', reason);
    },
  };
}

export const providers: Record<BackendKind, BackendProvider> = {
  cpu: pending('cpu'),
  cuda: pending('cuda'),
  hip: pending('hip'),
};
