import { parseArgs } from 'node:util';
import { closeDefaultHasher } from '../auth/password';
import { COMMANDS, type Command, commandNamed } from './commands';
import { type CliIo, describeError, type Target, UsageError } from './io';

export type { CliIo } from './io';

const URL_HELP =
  '  --url URL         postgres://user:password@host:port/database (default: DATABASE_URL, else in memory)';

function usage(): string {
  const width = Math.max(...COMMANDS.map(({ name }) => name.length)) + 2;
  return [
    'usage: tbp-models <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map(({ name, summary }) => `  ${name.padEnd(width)}${summary}`),
    '',
    "tbp-models help <command> (or <command> --help) shows a command's options.",
    'Without --url or DATABASE_URL the database is an in-memory pg-mem one, gone when the command ends.',
  ].join('\n');
}

/** What a string option's value is called in a usage line. */
const VALUE_NAMES: Record<string, string> = { migrations: 'DIR', to: 'NAME', ignore: 'NAMES' };

function commandUsage(command: Command): string {
  return [
    `usage: tbp-models ${command.name}${command.database ? ' [--url URL]' : ''}${Object.entries(command.options)
      .map(([option, { type }]) => ` [--${option}${type === 'string' ? ` ${VALUE_NAMES[option] ?? 'VALUE'}` : ''}]`)
      .join('')}`,
    '',
    `${command.summary}.`,
    command.help,
    ...(command.database ? ['', URL_HELP] : []),
  ].join('\n');
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  let target: Target = { url: undefined, source: 'DATABASE_URL' };
  let commandName: string | undefined;
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === '--help' || first === '-h') {
      io.out(`${usage()}\n`);
      return 0;
    }
    if (first === 'help') {
      io.out(`${rest[0] === undefined ? usage() : commandUsage(commandNamed(rest[0]))}\n`);
      return 0;
    }
    if (first.startsWith('-')) throw new UsageError(`expected a command before "${first}"`);
    const command = commandNamed(first);
    commandName = command.name;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        ...command.options,
        ...(command.database ? { url: { type: 'string' as const } } : {}),
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.out(`${commandUsage(command)}\n`);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, command.name);
    const url = values.url as string | undefined;
    target =
      url !== undefined ? { url, source: '--url' } : { url: io.env.DATABASE_URL || undefined, source: 'DATABASE_URL' };
    return (await command.run(values, target, io)) ?? 0;
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      const help = commandName ? `tbp-models help ${commandName}` : 'tbp-models help';
      io.err(`tbp-models: ${(error as Error).message}\nrun "${help}" for the options\n`);
      return 2;
    }
    io.err(`tbp-models: ${describeError(error, target)}\n`);
    return 1;
  } finally {
    await closeDefaultHasher();
  }
}
