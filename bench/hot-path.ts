/**
 * Issue 2 benchmarks: the marker's cost disabled, enabled into an overwrite ring, behind a
 * rejecting filter, next to an empty loop, diagnostics_channel, clock reads and pino.
 */
import * as diagnostics_channel from 'node:diagnostics_channel';
import { openSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { marker, Session } from '../src/index.js';
import { measure, printTable, type Measure } from './harness.js';

const N = 10_000_000;

export async function hotPathBenchmarks(): Promise<void> {
  const ev = marker('bench:event', 'a %d b %d c %ld s %s');
  const channel = diagnostics_channel.channel('bench:event');

  function emptyLoop(n: number): number {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += i;
    return sum;
  }
  function disabledMarker(n: number): number {
    let sum = 0;
    for (let i = 0; i < n; i++) { sum += i; ev(i, i, i, 'hello'); }
    return sum;
  }
  function dcGuarded(n: number): number {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += i;
      if (channel.hasSubscribers) channel.publish({ a: i, b: i, c: i, s: 'hello' });
    }
    return sum;
  }
  const disabled: Measure[] = [];
  const empty = await measure('empty loop (sum += i)', emptyLoop, N * 5);
  disabled.push(empty);
  disabled.push(await measure('marker, disabled', disabledMarker, N * 5));
  disabled.push(await measure('diagnostics_channel, hasSubscribers guard, no subscriber', dcGuarded, N * 5));

  // 100 enable/disable cycles, with the loop re-optimised in between, then disabled again.
  const cycling = new Session({ channels: { default: { mode: 'overwrite', subbufSize: 65536, subbufCount: 4 } } });
  cycling.enable('bench:event');
  for (let cycle = 0; cycle < 100; cycle++) {
    cycling.start();
    disabledMarker(20_000);
    cycling.stop();
    disabledMarker(200_000);
  }
  await cycling.close();
  disabled.push(await measure('marker, disabled after 100 enable/disable cycles', disabledMarker, N * 5));
  disabled.push(await measure('empty loop (again)', emptyLoop, N * 5));
  printTable('Disabled marker (no per-call test: the switch is folded by the JIT)', disabled, empty);

  // Enabled: overwrite mode so that every event is really encoded, whatever the ring holds.
  function clockOnly(n: number): number {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += performance.now();
    return sum;
  }
  const session = new Session({ channels: { default: { mode: 'overwrite' } } });
  session.enable('bench:event');
  session.start();
  function enabledMarker(n: number): number {
    let sum = 0;
    for (let i = 0; i < n; i++) { sum += i; ev(i, i, i, 'hello'); }
    return sum;
  }
  const enabled: Measure[] = [];
  const clock = await measure('performance.now() alone', clockOnly, N);
  enabled.push(clock);
  enabled.push(await measure('marker, enabled, overwrite ring', enabledMarker, N));
  const detach = session.addFilter(() => false);
  enabled.push(await measure('marker, enabled, filter callback rejecting all', enabledMarker, N));
  detach();
  session.disable('bench:event');
  session.enable('bench:event', { filter: 'a > 1000000000' });
  enabled.push(await measure('marker, enabled, filter expression `a > 1000000000` rejecting all', enabledMarker, N));
  session.disable('bench:event');
  enabled.push(await measure('marker, disabled (rule removed)', enabledMarker, N));

  let dcSink = 0;
  const subscriber = (message: unknown): void => { dcSink += (message as { a: number }).a; };
  channel.subscribe(subscriber);
  enabled.push(await measure('diagnostics_channel publish, one no-op subscriber', dcGuarded, N));
  channel.unsubscribe(subscriber);

  const logger = pino(pino.destination({ dest: openSync('/dev/null', 'w'), sync: true }));
  function pinoInfo(n: number): number {
    for (let i = 0; i < n; i++) logger.info({ a: i, b: i, c: i, s: 'hello' });
    return n;
  }
  enabled.push(await measure('pino logger.info to /dev/null (sync)', pinoInfo, 500_000, 5));
  printTable('Enabled marker `a %d b %d c %ld s %s` (i, i, i, "hello")', enabled, clock);
  console.log(`\n(${dcSink > -1 ? '' : dcSink}events written by the enabled cases: ${session.stats().channels.default.written})`);
  await session.close();
}
