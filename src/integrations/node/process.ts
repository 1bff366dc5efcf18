/**
 * `node:process:*`: uncaught exceptions, unhandled rejections and exit. Listens with
 * 'uncaughtExceptionMonitor' (which does not change what an uncaught error does) and never with
 * 'unhandledRejection' (a listener there would stop the default crash): a rejection is seen when
 * Node turns it into an uncaught exception, i.e. with the default `--unhandled-rejections=throw`.
 */
import { marker } from '../../marker/index.js';
import { errorParts, type NodeSource } from './source.js';

function declare() {
  return {
    uncaught: marker('node:process:uncaught_exception', 'name %s message %s stack %s'),
    rejection: marker('node:process:unhandled_rejection', 'name %s message %s stack %s'),
    exit: marker('node:process:exit', 'code %d'),
  };
}
let m: ReturnType<typeof declare>;

function onUncaught(error: unknown, origin: unknown): void {
  const e = errorParts(error);
  const target = origin === 'unhandledRejection' ? m.rejection : m.uncaught;
  target(e.name, e.message, e.stackLine);
}

function onExit(code: unknown): void {
  m.exit(typeof code === 'number' ? code : 0);
}

let listening = false;

export const processSource: NodeSource = {
  name: 'process',
  names: ['node:process:uncaught_exception', 'node:process:unhandled_rejection', 'node:process:exit'],
  available: () => true,
  declare() {
    m = declare();
    return Object.values(m);
  },
  start() {
    if (listening) return;
    listening = true;
    process.on('uncaughtExceptionMonitor', onUncaught);
    // Before the trace writer's own 'exit' listener, which writes out the buffers.
    process.prependListener('exit', onExit);
  },
  stop() {
    if (!listening) return;
    listening = false;
    process.removeListener('uncaughtExceptionMonitor', onUncaught);
    process.removeListener('exit', onExit);
  },
};
