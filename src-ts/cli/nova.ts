#!/usr/bin/env node
/**
 * `nova <command> [flags]`: dispatches to src-ts/cli/commands/. Exit codes: 0 ok, 1 the command failed
 * (the error's code and message on stderr), 2 bad command line.
 */
import { NovaError } from '../api/errors.js';
import { type Command, type CommandIO, commandHelp, parseFlags, UsageError } from './command.js';
import { commands } from './commands/index.js';

const io: CommandIO = {
  out: (text) => process.stdout.write(`${text}\n`),
  progress: (text) => process.stderr.write(`${text}\n`),
};

async function loadCommand(name: string): Promise<Command> {
  const load = commands[name];
  if (!load) throw new UsageError(`unknown command '${name}' (commands: ${Object.keys(commands).sort().join(', ')})`);
  return (await load()).default;
}

async function overview(): Promise<string> {
  const lines = ['Usage: nova <command> [flags]', '', 'Commands:'];
  for (const name of Object.keys(commands).sort()) {
    try {
      lines.push(`  ${name.padEnd(10)} ${(await loadCommand(name)).summary}`);
    } catch (error) {
      lines.push(`  ${name.padEnd(10)} (could not load: ${error instanceof Error ? error.message : String(error)})`);
    }
  }
  lines.push(`  ${'help'.padEnd(10)} this text; \`nova help <command>\` for its flags`);
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      if (rest[0] !== undefined && name === 'help') io.out(commandHelp(await loadCommand(rest[0])));
      else io.out(await overview());
      return 0;
    }
    const command = await loadCommand(name);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(commandHelp(command));
      return 0;
    }
    const { flags, positionals } = parseFlags(command, rest);
    return (await command.run(flags, positionals, io)) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.progress(`nova: ${error.message}\nRun 'nova help${name && commands[name] ? ` ${name}` : ''}' for usage.`);
      return 2;
    }
    if (error instanceof NovaError || (error as { code?: unknown })?.code !== undefined) {
      const { code, message } = error as { code: string; message: string };
      io.progress(`nova ${name}: ${code}: ${message}`);
    } else {
      io.progress(`nova ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
