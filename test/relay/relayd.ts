/**
 * A real lttng-relayd for the relay tests, on free loopback ports, stopped by its pid. With
 * TRACEMARK_TEST_RELAYD=ctrl,data,live,dir the tests that can share one use that relay instead
 * (CI may start it; see docs/relay.md); the restart test always runs its own.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

export const RELAYD_BIN = ['/usr/bin/lttng-relayd', '/usr/local/bin/lttng-relayd'].find((path) => existsSync(path));
export const HOST = hostname();

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

export async function waitFor(what: string, test: () => boolean | Promise<boolean>, timeoutMs = 20_000, stepMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

export class Relayd {
  readonly control: number;
  readonly data: number;
  readonly live: number;
  readonly dir: string;
  private child: ChildProcess | null = null;
  private readonly owned: boolean;
  /** Run with -v: its debug log (viewer commands among them) is kept, for tests that wait on it. */
  private verbose = false;
  private stderr = '';

  constructor(ports: [number, number, number], dir: string, owned: boolean) {
    [this.control, this.data, this.live] = ports;
    this.dir = dir;
    this.owned = owned;
  }

  /** Starts a new relay daemon of our own on free ports. */
  static async start(options: { verbose?: boolean } = {}): Promise<Relayd> {
    if (RELAYD_BIN === undefined) throw new Error('lttng-relayd is not installed (apt-get install lttng-tools)');
    const relayd = new Relayd([await freePort(), await freePort(), await freePort()], mkdtempSync(join(tmpdir(), 'tracemark-relayd-')), true);
    relayd.verbose = options.verbose === true;
    await relayd.launch();
    return relayd;
  }

  /** The relay named by TRACEMARK_TEST_RELAYD, or a new one of our own. */
  static async shared(): Promise<Relayd> {
    const given = process.env.TRACEMARK_TEST_RELAYD;
    if (given === undefined || given === '') return Relayd.start();
    const [control, data, live, dir] = given.split(',');
    return new Relayd([Number(control), Number(data), Number(live)], dir, false);
  }

  get url(): string {
    return `net://127.0.0.1:${this.control}:${this.data}`;
  }

  liveUrl(session: string): string {
    return `net://127.0.0.1:${this.live}/host/${HOST}/${session}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async launch(): Promise<void> {
    const child = spawn(RELAYD_BIN as string, [
      '-C', `tcp://127.0.0.1:${this.control}`, '-D', `tcp://127.0.0.1:${this.data}`, '-L', `tcp://127.0.0.1:${this.live}`, '-o', this.dir,
      ...(this.verbose ? ['-v'] : []),
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); this.stderr += chunk.toString(); });
    this.child = child;
    await waitFor(`lttng-relayd on port ${this.control}`, async () => {
      if (child.exitCode !== null) throw new Error(`lttng-relayd exited (${child.exitCode}): ${stderr}`);
      return (await canConnect(this.control)) && (await canConnect(this.data)) && (await canConnect(this.live));
    });
  }

  /** Stops our relay by its pid (SIGTERM, or `signal`), waiting for it to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
    this.child = null;
  }

  /** What the relay printed on stderr (its debug log when started with `verbose`). */
  log(): string {
    return this.stderr;
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  async stop(): Promise<void> {
    if (!this.owned) return;
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The CTF traces the relay stored for `session`: one directory per producer process and connection. */
  traces(session: string): string[] {
    const hostDir = join(this.dir, HOST);
    if (!existsSync(hostDir)) return [];
    const found: string[] = [];
    for (const sessionDir of readdirSync(hostDir).filter((name) => name.startsWith(`${session}-`)).sort()) {
      const base = join(hostDir, sessionDir, 'tracemark');
      if (!existsSync(base)) continue;
      for (const proc of readdirSync(base).sort()) found.push(join(base, proc));
    }
    return found;
  }

  /** Bytes of packets the relay stored in `trace`. */
  /**
   * The packets the relay has written into `trace`: the entries of its index files. lttng-relayd
   * writes a packet's index entry once the packet's data is in the stream file, so this counts
   * packets stored, not packets received. Header (ctf_packet_index_file_hdr, big-endian): magic,
   * major, minor, entry length, 4 bytes each.
   */
  static indexedPackets(trace: string): number {
    const dir = join(trace, 'index');
    if (!existsSync(dir)) return 0;
    let packets = 0;
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.idx'))) {
      const bytes = readFileSync(join(dir, name));
      if (bytes.length < 16) continue;
      const entryBytes = bytes.readUInt32BE(12);
      if (entryBytes > 0) packets += Math.floor((bytes.length - 16) / entryBytes);
    }
    return packets;
  }

  static dataBytes(trace: string): number {
    try {
      return statSync(join(trace, 'default_0')).size;
    } catch {
      return 0;
    }
  }
}

/** babeltrace2's text output for a trace directory (stored by the relay or written locally). */
export function babeltrace(dir: string): string {
  const result = spawnSync('babeltrace2', [dir], { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`babeltrace2 ${dir} failed: ${result.stderr}`);
  return result.stdout;
}
