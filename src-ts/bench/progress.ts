/** Progress on stderr: a redrawn bar on a terminal, one line per step otherwise (CI logs). Never on stdout. */
export interface ProgressEvent {
  readonly done: number;
  readonly total: number;
  readonly label: string;
}
export type ProgressSink = (event: ProgressEvent) => void;

export function progressLine(e: ProgressEvent, width = 24): string {
  const filled = e.total === 0 ? width : Math.round((e.done / e.total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${e.done}/${e.total} ${e.label}`;
}

export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  const tty = stream.isTTY === true;
  return (e) => {
    const line = progressLine(e);
    if (tty) stream.write(`\r${line.slice(0, (stream.columns ?? 100) - 1).padEnd((stream.columns ?? 100) - 1)}${e.done === e.total ? '\n' : ''}`);
    else stream.write(`${line}\n`);
  };
}
