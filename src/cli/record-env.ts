/**
 * The environment variables that configure the preload (record-config.ts has their values'
 * format). A module of its own: the preload with nothing to record loads this and nothing else.
 */
export const RECORD_ENV = 'TRACEMARK_RECORD';
/** `1`: the process also listens on its control socket (see docs/control.md). */
export const CONTROL_ENV = 'TRACEMARK_CONTROL';
