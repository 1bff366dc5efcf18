/**
 * One group of bench/hot-path.ts in a process of its own: a tracemark case next to its peers
 * (empty loop, clock, diagnostics_channel, pino) in the same process, without the JIT history
 * of the other groups. Prints the group's measures as JSON on stdout.
 */
import * as diagnostics_channel from 'node:diagnostics_channel';
import { openSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { marker, Session } from '../src/index.js';
import { measure, type Measure } from './harness.js';

const N = 10_000_000;
type Loop = (n: number) => number;

/**
 * A loop of its own for each case, so that each case has its own type feedback. `sum` starts as a
 * double in every loop here: V8 14 (Node 26) runs a loop whose integer `sum` turns into a double
 * at ~4.4 ns per iteration, which would hide what the marker costs (bench/user-loop.ts).
 */
function markerLoop(ev: (a: number, b: number, c: number, s: string) => void, label: string): Loop {
  return new Function('ev', `// ${label}
return function markerLoop(n) {
  let sum = 0.5;
  for (let i = 0; i < n; i++) { sum += i; ev(i, i, i, 'hello'); }
  return sum;
};`)(ev) as Loop;
}

function emptyLoop(n: number): number {
  let sum = 0.5;
  for (let i = 0; i < n; i++) sum += i;
  return sum;
}

function clockLoop(n: number): number {
  let sum = 0.5;
  for (let i = 0; i < n; i++) sum += performance.now();
  return sum;
}

const ev = marker('bench:event', 'a %d b %d c %ld s %s');
const channel = diagnostics_channel.channel('bench:event');
function dcLoop(n: number): number {
  let sum = 0.5;
  for (let i = 0; i < n; i++) {
    sum += i;
    if (channel.hasSubscribers) channel.publish({ a: i, b: i, c: i, s: 'hello' });
  }
  return sum;
}

function overwriteSession(): Session {
  return new Session({ channels: { default: { mode: 'overwrite' } } });
}

const groups: Record<string, () => Promise<Measure[]>> = {
  async disabled() {
    return [
      await measure('empty loop (sum += i)', emptyLoop, N * 5),
      await measure('marker, disabled', markerLoop(ev, 'disabled'), N * 5),
      await measure('diagnostics_channel, hasSubscribers guard, no subscriber', dcLoop, N * 5),
    ];
  },
  async cycles() {
    const loop = markerLoop(ev, 'cycles');
    const session = new Session({ channels: { default: { mode: 'overwrite', subbufSize: 65536, subbufCount: 4 } } });
    session.enable('bench:event');
    for (let cycle = 0; cycle < 100; cycle++) {
      session.start();
      loop(20_000);
      session.stop();
      loop(200_000);
    }
    await session.close();
    return [
      await measure('empty loop (sum += i)', emptyLoop, N * 5),
      await measure('marker, disabled after 100 enable/disable cycles', loop, N * 5),
    ];
  },
  async enabled() {
    const session = overwriteSession().enable('bench:event').start();
    const rows = [
      await measure('performance.now() alone', clockLoop, N),
      await measure('marker, enabled, overwrite ring', markerLoop(ev, 'enabled'), N),
    ];
    await session.close();
    return rows;
  },
  async callback() {
    const session = overwriteSession().enable('bench:event').start();
    session.addFilter(() => false);
    const rows = [
      await measure('performance.now() alone', clockLoop, N),
      await measure('marker, enabled, filter callback rejecting all', markerLoop(ev, 'callback'), N),
    ];
    await session.close();
    return rows;
  },
  async expression() {
    const session = overwriteSession().enable('bench:event', { filter: 'a > 1000000000' }).start();
    const rows = [
      await measure('performance.now() alone', clockLoop, N),
      await measure('marker, enabled, filter expression `a > 1000000000` rejecting all', markerLoop(ev, 'expression'), N),
    ];
    await session.close();
    return rows;
  },
  async peers() {
    let sink = 0;
    channel.subscribe((message) => { sink += (message as { a: number }).a; });
    const logger = pino(pino.destination({ dest: openSync('/dev/null', 'w'), sync: true }));
    const pinoLoop = (n: number): number => {
      for (let i = 0; i < n; i++) logger.info({ a: i, b: i, c: i, s: 'hello' });
      return n;
    };
    const rows = [
      await measure('performance.now() alone', clockLoop, N),
      await measure('diagnostics_channel publish, one no-op subscriber', dcLoop, N),
      await measure('pino logger.info to /dev/null (sync)', pinoLoop, 500_000, 5),
    ];
    if (sink < 0) console.error(sink);
    return rows;
  },
};

const group = groups[process.argv[2] ?? ''];
if (group === undefined) {
  console.error(`usage: hot-case.js ${Object.keys(groups).join('|')}`);
  process.exit(2);
}
console.log(JSON.stringify(await group()));
