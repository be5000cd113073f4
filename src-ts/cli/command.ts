/**
 * What a `nova` subcommand is: its flags (declared, so parsing, `nova help <command>` and the unknown-flag error
 * all come from one place) and an async `run`. Results go to stdout, progress and diagnostics to stderr.
 */

export interface FlagSpec {
  readonly type: 'int' | 'number' | 'string' | 'boolean';
  readonly description: string;
  /** Allowed values for a string flag. */
  readonly choices?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly default?: number | string | boolean;
  /** Shown in help instead of the type, e.g. "<file>". */
  readonly placeholder?: string;
}

export type FlagValues = Readonly<Record<string, number | string | boolean | undefined>>;

export interface CommandIO {
  /** Result output (machine-readable where the command says so). */
  out(text: string): void;
  /** Progress and diagnostics; never mixed into stdout. */
  progress(text: string): void;
}

export interface Command {
  readonly name: string;
  /** One line for `nova help`. */
  readonly summary: string;
  /** Extra text for `nova help <command>` (examples, notes). */
  readonly details?: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** Positional arguments accepted, e.g. ['<input.png>']; none when absent. */
  readonly positionals?: readonly string[];
  /** Resolves to the exit code (0 when undefined). */
  run(flags: FlagValues, positionals: readonly string[], io: CommandIO): Promise<number | void>;
}

/** Bad command line: printed with a hint, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parses `--name value`, `--name=value` and boolean `--name` / `--no-name` against the command's declared flags. */
export function parseFlags(
  command: Command,
  argv: readonly string[],
): { flags: Record<string, number | string | boolean | undefined>; positionals: string[] } {
  const flags: Record<string, number | string | boolean | undefined> = {};
  const positionals: string[] = [];
  for (const [name, spec] of Object.entries(command.flags)) flags[name] = spec.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      if (arg === '--') {
        positionals.push(...argv.slice(i + 1));
        break;
      }
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let inline = eq === -1 ? undefined : arg.slice(eq + 1);
    let spec = command.flags[name];
    if (!spec && name.startsWith('no-') && command.flags[name.slice(3)]?.type === 'boolean' && inline === undefined) {
      name = name.slice(3);
      spec = command.flags[name];
      inline = 'false';
    }
    if (!spec) {
      const known = Object.keys(command.flags).map((f) => `--${f}`).join(', ') || 'none';
      throw new UsageError(`unknown flag --${name} for 'nova ${command.name}' (flags: ${known})`);
    }
    if (spec.type === 'boolean') {
      if (inline === undefined) flags[name] = true;
      else if (inline === 'true' || inline === 'false') flags[name] = inline === 'true';
      else throw new UsageError(`--${name} takes no value or true/false, got '${inline}'`);
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined || (inline === undefined && raw.startsWith('--'))) {
      throw new UsageError(`--${name} needs a value (${spec.placeholder ?? spec.type})`);
    }
    flags[name] = convert(name, spec, raw);
  }
  const allowed = command.positionals?.length ?? 0;
  if (positionals.length > allowed) {
    throw new UsageError(`unexpected argument '${positionals[allowed]}' for 'nova ${command.name}'`);
  }
  return { flags, positionals };
}

function convert(name: string, spec: FlagSpec, raw: string): number | string {
  if (spec.type === 'string') {
    if (spec.choices && !spec.choices.includes(raw)) {
      throw new UsageError(`--${name} must be one of ${spec.choices.join(', ')}, got '${raw}'`);
    }
    return raw;
  }
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || (spec.type === 'int' && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be ${spec.type === 'int' ? 'an integer' : 'a number'}, got '${raw}'`);
  }
  if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
    throw new UsageError(`--${name} must be between ${spec.min ?? '-∞'} and ${spec.max ?? '∞'}, got ${value}`);
  }
  return value;
}

/** Help text of one command, generated from its declaration. */
export function commandHelp(command: Command): string {
  const args = command.positionals?.length ? ` ${command.positionals.join(' ')}` : '';
  const lines = [`nova ${command.name}${args} [flags]`, '', command.summary];
  const entries = Object.entries(command.flags);
  if (entries.length) {
    lines.push('', 'Flags:');
    for (const [name, spec] of entries) {
      const value = spec.type === 'boolean' ? '' : ` ${spec.placeholder ?? (spec.choices ? spec.choices.join('|') : `<${spec.type}>`)}`;
      const def = spec.default !== undefined && spec.type !== 'boolean' ? ` (default ${spec.default})` : '';
      lines.push(`  --${name}${value}`.padEnd(34) + ` ${spec.description}${def}`);
    }
  }
  if (command.details) lines.push('', command.details);
  return lines.join('\n');
}
