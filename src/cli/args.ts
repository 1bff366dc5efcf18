/**
 * A small, strict command-line parser: every error is a one-line TracemarkError('ERR_USAGE').
 * (node:util parseArgs would do, but its messages span lines and it cannot stop at the first
 * positional, which `record` needs: `tracemark record -e 'x:*' node app.js --app-option`.)
 */
import { TracemarkError } from '../errors/index.js';

export interface OptionSpec {
  /** Long name without dashes: `filter` for `--filter`. */
  readonly name: string;
  /** One letter: `e` for `-e`. */
  readonly short?: string;
  /** Takes a value (`--filter EXPR`, `--filter=EXPR`, `-e PATTERN`). */
  readonly value?: boolean;
  /** May be given several times; values are collected in order. */
  readonly multiple?: boolean;
}

export interface ParsedArgs {
  /** Values of value options (one element unless `multiple`), `[]` for flags that were given. */
  readonly options: Map<string, string[]>;
  readonly positionals: string[];
  /** Everything after `--` (or from the first positional with `stopAtPositional`), if present. */
  readonly rest: string[] | undefined;
}

export interface ParseSettings {
  /** Command name for messages (`record`). */
  readonly command: string;
  /** The first positional and all that follows go to `rest` (a command line to run). */
  readonly stopAtPositional?: boolean;
}

/**
 * With `stopAtPositional` and no `--`: one of the command's own options among the program's words
 * (`tracemark record app.js -o t`) would silently go to the program, so it is a usage error.
 */
function refuseOwnOptionsAfterProgram(rest: readonly string[], specs: readonly OptionSpec[], command: string): void {
  for (const word of rest.slice(1)) {
    const name = word.startsWith('--') ? word.slice(2).split('=')[0] : undefined;
    const spec = specs.find((s) => (name !== undefined ? s.name === name : s.short !== undefined && word === `-${s.short}`));
    if (spec === undefined) continue;
    throw usageError(`${command}: ${word} comes after the program ${JSON.stringify(rest[0])}, so it would go to the program: ` +
      `put tracemark's options before the program, or write -- before the program to pass everything after it on as it is`);
  }
}

export function usageError(message: string): TracemarkError {
  return new TracemarkError('ERR_USAGE', message);
}

export const HELP_OPTION: OptionSpec = { name: 'help', short: 'h' };

export function parseArgs(args: readonly string[], specs: readonly OptionSpec[], settings: ParseSettings): ParsedArgs {
  const options = new Map<string, string[]>();
  const positionals: string[] = [];
  const all = [HELP_OPTION, ...specs];
  const see = `(see tracemark ${settings.command} --help)`;
  const set = (spec: OptionSpec, shown: string, value: string | undefined): void => {
    const values = options.get(spec.name);
    if (values !== undefined && !spec.multiple) throw usageError(`option ${shown} given twice ${see}`);
    if (values === undefined) options.set(spec.name, value === undefined ? [] : [value]);
    else if (value !== undefined) values.push(value);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') return { options, positionals, rest: args.slice(i + 1) };
    if (!arg.startsWith('-') || arg === '-') {
      if (settings.stopAtPositional) {
        refuseOwnOptionsAfterProgram(args.slice(i), specs, settings.command);
        return { options, positionals, rest: args.slice(i) };
      }
      positionals.push(arg);
      continue;
    }
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    let shown: string;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (eq >= 0) inline = arg.slice(eq + 1);
      shown = `--${name}`;
      spec = all.find((s) => s.name === name);
    } else {
      shown = arg.slice(0, 2);
      spec = all.find((s) => s.short === arg[1]);
      if (arg.length > 2) inline = arg.slice(2);
    }
    if (spec === undefined) throw usageError(`unknown option ${shown} ${see}`);
    if (!spec.value) {
      if (inline !== undefined) throw usageError(`option ${shown} takes no value ${see}`);
      set(spec, shown, undefined);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= args.length) throw usageError(`option ${shown} needs a value ${see}`);
      value = args[++i];
    }
    set(spec, shown, value);
  }
  return { options, positionals, rest: undefined };
}

export function optionValue(parsed: ParsedArgs, name: string): string | undefined {
  return parsed.options.get(name)?.[0];
}

export function optionValues(parsed: ParsedArgs, name: string): string[] {
  return parsed.options.get(name) ?? [];
}

export function flag(parsed: ParsedArgs, name: string): boolean {
  return parsed.options.has(name);
}

/** An integer option within [min, max] (decimal; `k`/`m` suffixes for sizes in KiB/MiB). */
export function integerOption(parsed: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const text = optionValue(parsed, name);
  if (text === undefined) return undefined;
  const match = /^(\d+)([kKmM]?)$/.exec(text);
  const scale = match === null ? 0 : match[2] === '' ? 1 : match[2].toLowerCase() === 'k' ? 1024 : 1024 * 1024;
  const value = match === null ? NaN : Number(match[1]) * scale;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw usageError(`option --${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** Exactly `names.length` positionals, else a usage error naming the first missing or extra one. */
export function expectPositionals(parsed: ParsedArgs, names: readonly string[], command: string): string[] {
  const got = parsed.positionals;
  if (got.length < names.length) throw usageError(`${command}: missing ${names[got.length]} (see tracemark ${command} --help)`);
  if (got.length > names.length) throw usageError(`${command}: unexpected argument ${JSON.stringify(got[names.length])} (see tracemark ${command} --help)`);
  return got.slice();
}
