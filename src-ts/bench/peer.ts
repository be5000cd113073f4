/**
 * The PyTorch peer (bench/peer_torch.py): the same layers through torch.nn.functional.conv2d (cuDNN, benchmark
 * mode) and torch.compile, on the same card. A peer for context, not our code; merged into rows by layer × batch.
 */
import type { BenchReport } from './types.js';

export interface PeerRow {
  readonly suite: string;
  readonly layer: string;
  readonly batch: number;
  readonly eager_us: number | null;
  readonly graph_us: number | null;
  readonly compile_us: number | null;
}

export interface PeerReport {
  readonly header: { readonly torch?: string; readonly cudnn?: string; readonly device?: string };
  readonly rows: readonly PeerRow[];
}

export function mergePeer(report: BenchReport, peer: PeerReport): BenchReport {
  const key = (r: { suite: string; layer: string; batch: number }) => `${r.suite}/${r.layer}/${r.batch}`;
  const byKey = new Map(peer.rows.map((r) => [key(r), r]));
  return {
    header: {
      ...report.header,
      peer: { source: 'bench/peer_torch.py', torch: peer.header.torch, cudnn: peer.header.cudnn, device: peer.header.device },
    },
    rows: report.rows.map((row) => {
      const p = byKey.get(key(row));
      return {
        ...row,
        peer_torch_eager_us: p?.eager_us ?? null,
        peer_torch_graph_us: p?.graph_us ?? null,
        peer_torch_compile_us: p?.compile_us ?? null,
      };
    }),
  };
}
