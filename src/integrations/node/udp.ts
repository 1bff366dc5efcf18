/** `node:udp:*`: `dgram` sockets (channel `udp.socket`, Node 20+): created, bound, closed. */
import dc from 'node:diagnostics_channel';
import { marker } from '../../marker/index.js';
import { nextId, num, str, tagNumber, type NodeSource, type Tagged } from './source.js';

const SOCKET = 'udp.socket';
const kId = Symbol('tracemark.udp.id');

function declare() {
  return {
    socket: marker('node:udp:socket', 'socket_id %lu type %s'),
    listening: marker('node:udp:listening', 'socket_id %lu address %s port %u'),
    close: marker('node:udp:close', 'socket_id %lu'),
  };
}
let m: ReturnType<typeof declare>;

interface UdpSocketLike {
  type?: string;
  address(): { address?: string; port?: number };
  once(event: string, listener: (...args: unknown[]) => void): unknown;
}

function onListening(this: UdpSocketLike): void {
  const id = tagNumber(this, kId);
  if (id === 0) return;
  let address: { address?: string; port?: number } = {};
  try { address = this.address(); } catch { /* closed meanwhile */ }
  m.listening(id, str(address.address), num(address.port));
}

function onClose(this: UdpSocketLike): void {
  const id = tagNumber(this, kId);
  if (id !== 0) m.close(id);
}

function onSocket(message: unknown): void {
  const { socket } = message as { socket: UdpSocketLike };
  const id = nextId();
  (socket as unknown as Tagged)[kId] = id;
  socket.once('listening', onListening);
  socket.once('close', onClose);
  m.socket(id, str(socket.type));
}

export const udpSource: NodeSource = {
  name: 'udp',
  names: ['node:udp:socket', 'node:udp:listening', 'node:udp:close'],
  available: () => true,
  declare() {
    m = declare();
    return Object.values(m);
  },
  start() { dc.subscribe(SOCKET, onSocket); },
  stop() { dc.unsubscribe(SOCKET, onSocket); },
};
