/** The flag parser every `nova` command shares: forms, defaults, conversions and the usage errors (exit 2). */
import { describe, expect, it } from 'vitest';
import { type Command, commandHelp, parseFlags, UsageError } from '../../src-ts/cli/command.js';

const command: Command = {
  name: 'test',
  summary: 'a command for the parser tests',
  flags: {
    n: { type: 'int', min: 1, max: 8, default: 2, description: 'an int' },
    scale: { type: 'number', description: 'a number' },
    algo: { type: 'string', choices: ['a', 'b'], default: 'a', description: 'a choice' },
    out: { type: 'string', placeholder: '<file>', description: 'a path' },
    relu: { type: 'boolean', description: 'a switch' },
  },
  positionals: ['<input>'],
  run: async () => 0,
};

describe('parseFlags', () => {
  it('fills defaults and accepts --name value, --name=value, --flag and --no-flag', () => {
    expect(parseFlags(command, []).flags).toEqual({ n: 2, scale: undefined, algo: 'a', out: undefined, relu: undefined });
    const { flags, positionals } = parseFlags(command, ['in.png', '--n', '3', '--scale=-0.5', '--algo=b', '--relu', '--out', 'x.json']);
    expect(flags).toEqual({ n: 3, scale: -0.5, algo: 'b', out: 'x.json', relu: true });
    expect(positionals).toEqual(['in.png']);
    expect(parseFlags(command, ['--relu', '--no-relu']).flags.relu).toBe(false);
    expect(parseFlags(command, ['--relu=false']).flags.relu).toBe(false);
  });

  it('takes everything after -- as positionals', () => {
    expect(parseFlags(command, ['--', '--n']).positionals).toEqual(['--n']);
  });

  const bad: [string[], string][] = [
    [['--m', '1'], "unknown flag --m for 'nova test' (flags: --n, --scale, --algo, --out, --relu)"],
    [['--no-algo'], "unknown flag --no-algo for 'nova test' (flags: --n, --scale, --algo, --out, --relu)"],
    [['--n', '9'], '--n must be between 1 and 8, got 9'],
    [['--n', '1e0x'], "--n must be an integer, got '1e0x'"],
    [['--n', ''], "--n must be an integer, got ''"],
    [['--scale', 'NaN'], "--scale must be a number, got 'NaN'"],
    [['--algo', 'c'], "--algo must be one of a, b, got 'c'"],
    [['--out'], '--out needs a value (<file>)'],
    [['--out', '--relu'], '--out needs a value (<file>)'],
    [['--relu=yes'], "--relu takes no value or true/false, got 'yes'"],
    [['a.png', 'b.png'], "unexpected argument 'b.png' for 'nova test'"],
  ];
  it.each(bad)('%j is a usage error', (argv, message) => {
    expect(() => parseFlags(command, argv)).toThrow(new UsageError(message));
  });
});

describe('commandHelp', () => {
  it('is generated from the declaration', () => {
    const help = commandHelp(command);
    expect(help).toMatch(/^nova test <input> \[flags\]\n\na command for the parser tests\n\nFlags:\n/);
    expect(help).toMatch(/^ {2}--n <int> +an int \(default 2\)$/m);
    expect(help).toMatch(/^ {2}--algo a\|b +a choice \(default a\)$/m);
    expect(help).toMatch(/^ {2}--out <file> +a path$/m);
    expect(help).toMatch(/^ {2}--relu +a switch$/m);
  });
});
