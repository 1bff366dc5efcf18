/**
 * `npm run demo`: records the demo HTTP service through the real CLI, then shows what the trace
 * holds. Steps, each printed with its command line:
 *   1. tracemark record -o traces/demo-<date> -- node dist/examples/service.js --requests 2000
 *      (the service answers 2000 loopback requests it sends itself, then exits)
 *   2. tracemark stats DIR
 *   3. tracemark print DIR -e 'app:*' --decoders dist/examples/payload-decoder.js | head -15
 *   4. babeltrace2 DIR | head -3, when babeltrace2 is installed
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const service = join(root, 'dist', 'examples', 'service.js');
const decoders = join(root, 'dist', 'examples', 'payload-decoder.js');
const shown = (path: string): string => relative(process.cwd(), path) || '.';

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

function step(title: string, command: string): void {
  console.log(`\n== ${title}\n$ ${command}`);
}

/** Runs a command with inherited stdio; fails the demo if it fails. */
function run(file: string, args: readonly string[]): void {
  const result = spawnSync(file, args, { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`demo: ${shown(file)} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
    process.exit(1);
  }
}

/** Prints the first `count` lines of a command's output, then closes the pipe, as `| head` does. */
async function head(file: string, args: readonly string[], count: number): Promise<void> {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const errors: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => errors.push(chunk));
  const lines = createInterface({ input: child.stdout });
  let seen = 0;
  for await (const line of lines) {
    console.log(line);
    if (++seen >= count) break; // closes the pipe: the command stops on EPIPE
  }
  child.stdout.destroy();
  await new Promise((resolve) => child.on('close', resolve));
  // What a command says about the pipe we closed (babeltrace2 reports its failed write at
  // length) is noise; what it says when it ended by itself is shown.
  if (seen < count) process.stderr.write(Buffer.concat(errors));
}

const traces = join(root, 'traces');
mkdirSync(traces, { recursive: true });
const dir = join(traces, `demo-${stamp()}`);
const requests = '2000';

step('Record the demo service while it serves 2000 loopback requests',
  `tracemark record -o ${shown(dir)} -- node ${shown(service)} --requests ${requests}`);
run(process.execPath, [cli, 'record', '-o', dir, '--', process.execPath, service, '--requests', requests, '--concurrency', '8', '--seconds', '20']);

step('Per-marker counts, rates and a histogram', `tracemark stats ${shown(dir)}`);
run(process.execPath, [cli, 'stats', dir]);

step('The app\'s first events (app:payload headers decoded by a registered blob decoder; node:* events are in the trace too)',
  `tracemark print ${shown(dir)} -e 'app:*' --decoders ${shown(decoders)} | head -15`);
await head(process.execPath, [cli, 'print', dir, '-e', 'app:*', '--decoders', decoders], 15);

const babeltrace = spawnSync('babeltrace2', ['--version'], { stdio: 'ignore' });
if (babeltrace.status === 0) {
  step('The same trace read by babeltrace2', `babeltrace2 ${shown(dir)} | head -3`);
  await head('babeltrace2', [dir], 3);
}
console.log(`\nThe trace is in ${shown(dir)}. Read it with:`);
console.log(`  node ${shown(cli)} print ${shown(dir)}   (\`tracemark print\` where tracemark is installed)`);
console.log(`  babeltrace2 ${shown(dir)}   (apt install babeltrace2; Trace Compass opens it too)`);
