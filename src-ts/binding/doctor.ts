/**
 * What this machine offers NOVA, and why a GPU backend is missing: the addon was not built (and whether a
 * toolkit to build it is present), no driver, or no device. Read-only and cheap (a few `--version` calls).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { BackendInfo } from '../backends/backend.js';
import { type AddonName, loadAddon, packageRoot } from './load.js';

export interface ToolInfo {
  readonly name: string;
  readonly found: boolean;
  /** First meaningful line of `--version`, or why it could not be run. */
  readonly detail: string;
}

export interface AddonStatus {
  readonly name: AddonName;
  readonly loaded: boolean;
  readonly path?: string;
  readonly reason?: string;
  readonly notBuilt?: boolean;
}

export interface Environment {
  readonly node: string;
  readonly napi: string;
  readonly platform: string;
  readonly cpus: number;
  readonly packageVersion: string;
  readonly addons: readonly AddonStatus[];
  readonly tools: readonly ToolInfo[];
  /** NVIDIA kernel driver version line, when the driver is loaded. */
  readonly nvidiaDriver?: string;
  /** True when /dev/kfd (the ROCm kernel interface) exists. */
  readonly amdKfd: boolean;
}

export function collectEnvironment(): Environment {
  const nvidiaDriver = firstLine(readIfExists('/proc/driver/nvidia/version'));
  return {
    node: process.version,
    napi: process.versions.napi ?? 'unknown',
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    packageVersion: readPackageVersion(),
    addons: (['nova_cpu', 'nova_gpu'] as const).map(addonStatus),
    tools: [
      tool('g++', ['--version']),
      tool('cmake', ['--version']),
      tool('nvcc', ['--version'], /release [^\n]*/),
      tool('hipcc', ['--version'], /HIP version[^\n]*/),
    ],
    ...(nvidiaDriver ? { nvidiaDriver } : {}),
    amdKfd: existsSync('/dev/kfd'),
  };
}

function addonStatus(name: AddonName): AddonStatus {
  const loaded = loadAddon<unknown>(name, { probe: name === 'nova_gpu' });
  return loaded.ok
    ? { name, loaded: true, path: loaded.path }
    : { name, loaded: false, reason: loaded.reason, notBuilt: loaded.notBuilt };
}

/**
 * One sentence on why a GPU backend is not available: not built (and can it be here?), no driver, no device,
 * or the backend's own reason.
 */
export function explainMissing(info: BackendInfo, env: Environment): string {
  if (info.available) return 'available';
  const gpuAddon = env.addons.find((a) => a.name === 'nova_gpu');
  const toolkit = env.tools.find((t) => t.name === (info.kind === 'cuda' ? 'nvcc' : 'hipcc'));
  if (gpuAddon && !gpuAddon.loaded) {
    if (!gpuAddon.notBuilt) return `GPU addon present but failed to load: ${gpuAddon.reason}`;
    const canBuild = toolkit?.found ? `${toolkit.name} is present (${toolkit.detail}): \`npm run build:gpu\` can build it` : `no ${toolkit?.name ?? 'toolkit'} on PATH to build it`;
    return `GPU addon not built; ${canBuild}`;
  }
  const reason = info.reason ?? 'no usable device';
  if (/driver/i.test(reason)) return reason;
  if (info.kind === 'cuda' && !env.nvidiaDriver) return `no NVIDIA driver loaded (/proc/driver/nvidia/version missing); ${reason}`;
  if (info.kind === 'hip' && !env.amdKfd) return `no AMD GPU driver (/dev/kfd missing); ${reason}`;
  return reason;
}

/** Human-readable report; `backends` comes from the API's `backends()`. */
export function formatReport(env: Environment, backends: readonly BackendInfo[]): string {
  const lines: string[] = [];
  lines.push(`nova-conv ${env.packageVersion} on node ${env.node} (N-API ${env.napi}), ${env.platform}, ${env.cpus} CPUs`);
  lines.push('', 'Backends:');
  for (const info of backends) {
    const detail = info.available
      ? [
          info.device,
          info.arch,
          info.memoryTotalBytes && `${(info.memoryTotalBytes / 2 ** 30).toFixed(1)} GiB`,
          info.runtimeVersion && `runtime ${info.runtimeVersion}`,
          info.driverVersion && `driver ${info.driverVersion}`,
          info.threads && `${info.threads} threads`,
        ]
          .filter(Boolean)
          .join(', ')
      : explainMissing(info, env);
    lines.push(`  ${info.kind.padEnd(5)} ${info.available ? 'yes' : 'no '}  ${indentTail(detail, 13)}`);
    if (info.available && info.compiledArchs?.length) lines.push(`${' '.repeat(13)}compiled for ${info.compiledArchs.join(', ')}`);
  }
  lines.push('', 'Addons:');
  for (const addon of env.addons) {
    lines.push(`  ${addon.name.padEnd(9)} ${addon.loaded ? `loaded from ${addon.path}` : indentTail(addon.reason ?? 'not loaded', 12)}`);
  }
  lines.push('', 'Toolchain:');
  for (const t of env.tools) lines.push(`  ${t.name.padEnd(6)} ${t.found ? t.detail : `not found (${t.detail})`}`);
  lines.push(`  NVIDIA driver: ${env.nvidiaDriver ?? 'not loaded'}`);
  lines.push(`  AMD /dev/kfd:  ${env.amdKfd ? 'present' : 'absent'}`);
  return lines.join('\n');
}

function indentTail(text: string, width: number): string {
  return text.split('\n').join(`\n${' '.repeat(width)}`);
}

function tool(name: string, args: string[], pattern?: RegExp): ToolInfo {
  const run = spawnSync(name, args, { encoding: 'utf8', timeout: 10_000 });
  if (run.error) return { name, found: false, detail: (run.error as NodeJS.ErrnoException).code ?? run.error.message };
  const text = `${run.stdout}\n${run.stderr}`;
  const match = pattern ? text.match(pattern)?.[0] : undefined;
  return { name, found: true, detail: (match ?? firstLine(text) ?? `exit code ${run.status}`).trim() };
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function firstLine(text: string | undefined): string | undefined {
  return text
    ?.split('\n')
    .map((l) => l.trim())
    .find(Boolean);
}

function readPackageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
