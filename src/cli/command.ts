/** What main.ts needs from each command module. */
export interface Command {
  readonly name: string;
  /** One line for `tracemark --help`. */
  readonly summary: string;
  /** Full `--help` text (usage line, description, options). */
  readonly help: string;
  /** Runs the command; resolves with the process exit code. Throws TracemarkError on failure. */
  run(args: readonly string[]): Promise<number>;
}
