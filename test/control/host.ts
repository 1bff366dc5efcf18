/** Starts the control test host (test/control/fixtures/host.js) with the control socket on. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONTROL_FIXTURES, PRELOAD, waitFor } from '../cli/helpers.js';

export interface Host {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly socket: string;
  stderr(): string;
  stdout(): string;
  /** SIGTERM, then waits for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function startHost(socketDir: string, options: { waitForSocket?: boolean; fixture?: string } = {}): Promise<Host> {
  const child = spawn(process.execPath, ['--import', PRELOAD, join(CONTROL_FIXTURES, options.fixture ?? 'host.js')], {
    env: { ...process.env, TRACEMARK_CONTROL: '1', TRACEMARK_CONTROL_DIR: socketDir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const pid = child.pid as number;
  const socket = join(socketDir, `${pid}.sock`);
  await waitFor('the host to start', () => (stdout.includes('ready') ? true : undefined));
  if (options.waitForSocket !== false) await waitFor('the control socket', () => (existsSync(socket) ? true : undefined));
  return {
    child,
    pid,
    socket,
    stderr: () => stderr,
    stdout: () => stdout,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
