/**
 * Relay addresses: `net://host[:ctrl[:data]]`, as `lttng create --set-url` takes them (LTTng's
 * defaults: control 5342, data 5343; live viewers use 5344). IPv6 hosts go in brackets.
 */
import { TracemarkError } from '../errors/index.js';

export const RELAY_DEFAULT_PORTS = Object.freeze({ control: 5342, data: 5343, live: 5344 });

export interface RelayAddress {
  host: string;
  controlPort: number;
  dataPort: number;
  /** As given, for messages. */
  url: string;
}

function port(text: string, url: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 65535) {
    throw new TracemarkError('ERR_INVALID_ARG', `relay URL ${JSON.stringify(url)}: port ${JSON.stringify(text)} is not a number from 1 to 65535`);
  }
  return value;
}

export function parseRelayUrl(url: string): RelayAddress {
  if (typeof url !== 'string') throw new TracemarkError('ERR_INVALID_ARG', 'relay must be a URL string: net://host[:ctrl[:data]]');
  const match = /^(?:net|tcp):\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+)((?::[^:/]*){0,2})\/?$/.exec(url);
  if (match === null) {
    throw new TracemarkError('ERR_INVALID_ARG', `relay URL ${JSON.stringify(url)} is not of the form net://host[:ctrl[:data]] (e.g. net://127.0.0.1 or net://relay.example:5342:5343)`);
  }
  const host = match[1].startsWith('[') ? match[1].slice(1, -1) : match[1];
  const ports = match[2] === '' ? [] : match[2].slice(1).split(':');
  const controlPort = ports[0] === undefined ? RELAY_DEFAULT_PORTS.control : port(ports[0], url);
  // As LTTng's own URLs: a missing data port is the default one, whatever the control port.
  const dataPort = ports[1] === undefined ? RELAY_DEFAULT_PORTS.data : port(ports[1], url);
  return { host, controlPort, dataPort, url };
}
