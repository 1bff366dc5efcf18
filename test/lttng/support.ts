/**
 * Real LTTng-UST traces for the tests: a session daemon, small C programs compiled with gcc,
 * sessions recorded with the `lttng` client.
 *
 * Session daemon: when TRACEMARK_TEST_LTTNG_HOME is set, the tests use the daemon running for
 * that LTTNG_HOME (CI starts it, see .ci/run) and never stop it. Otherwise they reuse a running
 * daemon they can reach, or start a private one (`lttng-sessiond --daemonize --no-kernel`) and
 * stop it by its pid when done. As root the daemon's run directory is always /var/run/lttng
 * (LTTNG_HOME only moves the configuration and default output), so root has one daemon per
 * machine: it is shared, never started twice; as another user it lives in $LTTNG_HOME/.lttng.
 * Sessions get unique names and explicit --output directories, so concurrent users do not clash.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Lttng {
  readonly env: NodeJS.ProcessEnv;
  /** Runs `lttng ARGS`; throws with its output on failure. */
  run(args: readonly string[]): string;
  /** Stops the daemon if this process started it. */
  close(): void;
}

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

/** Why real LTTng traces cannot be recorded here, or undefined when they can. */
export function lttngUnavailable(): string | undefined {
  for (const cmd of ['lttng', 'lttng-sessiond', 'gcc']) if (!which(cmd)) return `${cmd} is not installed (apt: lttng-tools, liblttng-ust-dev, gcc)`;
  const probe = spawnSync('gcc', ['-E', '-x', 'c', '-'], { input: '#include <lttng/tracepoint.h>\n', encoding: 'utf8' });
  if (probe.status !== 0) return 'lttng/tracepoint.h not found (apt: liblttng-ust-dev)';
  return undefined;
}

function sh(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { env, encoding: 'utf8', timeout: timeoutMs });
}

function pidFile(home: string): string {
  return process.getuid?.() === 0 ? '/var/run/lttng/lttng-sessiond.pid' : join(home, '.lttng', 'lttng-sessiond.pid');
}

function reachable(env: NodeJS.ProcessEnv): boolean {
  return sh('lttng', ['list'], env).status === 0;
}

export function startLttng(): Lttng {
  const given = process.env.TRACEMARK_TEST_LTTNG_HOME;
  const home = given ?? mkdtempSync(join(tmpdir(), 'tracemark-lttng-home-'));
  const env = { ...process.env, LTTNG_HOME: home };
  let startedPid: number | undefined;
  if (given !== undefined) {
    if (!reachable(env)) throw new Error(`TRACEMARK_TEST_LTTNG_HOME=${given}: no session daemon answers there (start lttng-sessiond --daemonize --no-kernel with LTTNG_HOME=${given})`);
  } else if (!reachable(env)) {
    const r = sh('lttng-sessiond', ['--daemonize', '--no-kernel'], env);
    if (r.status !== 0 && !reachable(env)) throw new Error(`lttng-sessiond did not start: ${r.stderr}`);
    const path = pidFile(home);
    if (existsSync(path)) startedPid = Number(readFileSync(path, 'utf8').trim());
  }
  const run = (args: readonly string[]): string => {
    const r = sh('lttng', args, env);
    if (r.status !== 0) throw new Error(`lttng ${args.join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  return {
    env,
    run,
    close() {
      if (startedPid !== undefined && startedPid > 0) {
        try {
          process.kill(startedPid, 'SIGTERM');
        } catch { /* already gone */ }
        // Wait (bounded) for it to go, so a later start does not race its exit.
        for (let i = 0; i < 100; i++) {
          try {
            process.kill(startedPid, 0);
          } catch {
            break;
          }
          spawnSync('sleep', ['0.1']);
        }
      }
      if (given === undefined) rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Tracepoints of every field type LTTng-UST offers, an enum, a tick event; lttng_ust_tracef. */
const PROVIDER_H = String.raw`
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER tmtest
#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./tp.h"
#if !defined(TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define TP_H
#include <lttng/tracepoint.h>
#include <stdint.h>
LTTNG_UST_TRACEPOINT_ENUM(tmtest, state_enum,
  LTTNG_UST_TP_ENUM_VALUES(
    lttng_ust_field_enum_value("IDLE", 0)
    lttng_ust_field_enum_range("BUSY", 1, 9)
    lttng_ust_field_enum_auto("NEXT")))
LTTNG_UST_TRACEPOINT_EVENT(tmtest, all_types,
  LTTNG_UST_TP_ARGS(int, i, int64_t, big, double, d, float, f, const char *, s, const int16_t *, arr, unsigned int, n, const char *, text),
  LTTNG_UST_TP_FIELDS(
    lttng_ust_field_integer(int8_t, s8, (int8_t) i)
    lttng_ust_field_integer(uint8_t, u8, (uint8_t) i)
    lttng_ust_field_integer(int16_t, s16, (int16_t) (i * 300))
    lttng_ust_field_integer(uint16_t, u16, (uint16_t) (i * 300))
    lttng_ust_field_integer(int32_t, s32, i * 100000)
    lttng_ust_field_integer(uint32_t, u32, (uint32_t) (i * 100000))
    lttng_ust_field_integer(int64_t, s64, big)
    lttng_ust_field_integer(uint64_t, u64, (uint64_t) big)
    lttng_ust_field_integer_hex(uint32_t, hex32, (uint32_t) i)
    lttng_ust_field_integer_network(uint32_t, net32, (uint32_t) (i * 16777217))
    lttng_ust_field_integer_network_hex(uint16_t, net16, (uint16_t) i)
    lttng_ust_field_float(double, dbl, d)
    lttng_ust_field_float(float, flt, f)
    lttng_ust_field_string(str, s)
    lttng_ust_field_array(int16_t, arr3, arr, 3)
    lttng_ust_field_array_text(char, text4, text, 4)
    lttng_ust_field_sequence(int16_t, seq, arr, unsigned int, n)
    lttng_ust_field_sequence_text(char, seqtext, text, unsigned int, n)
    lttng_ust_field_enum(tmtest, state_enum, int, state, i % 12)
  ))
LTTNG_UST_TRACEPOINT_EVENT(tmtest, tick, LTTNG_UST_TP_ARGS(int, n), LTTNG_UST_TP_FIELDS(lttng_ust_field_integer(int, n, n)))
#endif
#include <lttng/tracepoint-event.h>
`;

/** `app COUNT TICKS [ROTATE_CMD]`: COUNT all_types events (+ a tracef every 3rd), then TICKS ticks. */
const APP_C = String.raw`
#define LTTNG_UST_TRACEPOINT_DEFINE
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "tp.h"
#include <stdlib.h>
#include <math.h>
void do_tracef(int i, const char *s);
int main(int argc, char **argv) {
  int count = argc > 1 ? atoi(argv[1]) : 10;
  int ticks = argc > 2 ? atoi(argv[2]) : 0;
  int16_t arr[5] = { -1, 2, -32768, 32767, 0 };
  const char *strs[] = { "", "hello", "h\xc3\xa9llo w\xc3\xb6rld", "a\"quote\\", "long string long string long string" };
  double ds[] = { 0.0, -0.0, 1.5, 1e300, -2.5e-310, INFINITY, -INFINITY, NAN };
  for (int i = 0; i < count; i++) {
    lttng_ust_tracepoint(tmtest, all_types, i - count / 2, (int64_t) i * -123456789012345LL, ds[i % 8], (float) ds[(i + 3) % 8],
      strs[i % 5], arr, (unsigned) (i % 6), "abcdef");
    if (i % 3 == 0) do_tracef(i, strs[i % 5]);
  }
  for (int i = 0; i < ticks; i++) {
    lttng_ust_tracepoint(tmtest, tick, i);
    if (argc > 3 && i == ticks / 2) { if (system(argv[3]) != 0) return 3; }
  }
  return 0;
}
`;

const TRACEF_C = '#include <lttng/tracef.h>\nvoid do_tracef(int i, const char *s) { lttng_ust_tracef("tracef %d %s", i, s); }\n';

/** Compiles the test program into `dir`; returns its path. */
export function buildApp(dir: string): string {
  writeFileSync(join(dir, 'tp.h'), PROVIDER_H);
  writeFileSync(join(dir, 'app.c'), APP_C);
  writeFileSync(join(dir, 'tracef.c'), TRACEF_C);
  const exe = join(dir, 'app');
  const r = spawnSync('gcc', ['-O1', '-I', dir, '-o', exe, join(dir, 'app.c'), join(dir, 'tracef.c'), '-llttng-ust', '-ldl', '-lm'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`gcc failed: ${r.stderr}`);
  return exe;
}

let counter = 0;
export function sessionName(): string {
  return `tmtest-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

/** Runs the app with the session daemon's environment (so it registers with that daemon). */
export function runApp(lttng: Lttng, exe: string, args: readonly string[]): void {
  const r = spawnSync(exe, args, { env: { ...lttng.env, LTTNG_UST_REGISTER_TIMEOUT: '-1' }, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${exe} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
}
