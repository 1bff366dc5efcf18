/**
 * `node:net:*`: TCP (and IPC) sockets: outgoing ones once connected (channel `net.client.socket`),
 * accepted ones (`net.server.socket`), and their close (Node 20+). Only 'connect' and 'close'
 * listeners are added to a socket: an 'error' listener would change what an unhandled error does.
 */
import { marker } from '../../marker/index.js';
import { channelSource, nextId, num, str, tagNumber, type Tagged } from './source.js';

const CLIENT = 'net.client.socket';
const SERVER = 'net.server.socket';
const kId = Symbol('tracemark.socket.id');

function declare() {
  return {
    client: marker('node:net:client', 'socket_id %lu remote_address %s remote_port %u family %s'),
    server: marker('node:net:server', 'socket_id %lu remote_address %s remote_port %u family %s'),
    close: marker('node:net:close', 'socket_id %lu error %s remote_address %s remote_port %u bytes_read %lu bytes_written %lu'),
  };
}
let m: ReturnType<typeof declare>;

interface SocketLike {
  remoteAddress?: string;
  remotePort?: number;
  remoteFamily?: string;
  bytesRead?: number;
  bytesWritten?: number;
  errored?: unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
}

function onConnect(this: SocketLike): void {
  const id = tagNumber(this, kId);
  if (id !== 0) m.client(id, str(this.remoteAddress), num(this.remotePort), str(this.remoteFamily));
}

function onClose(this: SocketLike): void {
  const id = tagNumber(this, kId);
  if (id === 0) return;
  (this as unknown as Tagged)[kId] = 0;
  // A refused connection has no remote address: the error names the one it tried.
  const error = (typeof this.errored === 'object' && this.errored !== null ? this.errored : {}) as { code?: unknown; address?: unknown; port?: unknown };
  m.close(id, str(error.code), str(this.remoteAddress) || str(error.address), num(this.remotePort) || num(error.port),
    num(this.bytesRead), num(this.bytesWritten));
}

function track(socket: SocketLike): number {
  const id = nextId();
  (socket as unknown as Tagged)[kId] = id;
  socket.once('close', onClose);
  return id;
}

function onClientSocket(message: unknown): void {
  const { socket } = message as { socket: SocketLike };
  track(socket);
  socket.once('connect', onConnect);
}

function onServerSocket(message: unknown): void {
  const { socket } = message as { socket: SocketLike };
  const id = track(socket);
  m.server(id, str(socket.remoteAddress), num(socket.remotePort), str(socket.remoteFamily));
}

export const netSource = channelSource(
  'net',
  ['node:net:client', 'node:net:server', 'node:net:close'],
  () => Object.values(m = declare()),
  [[CLIENT, onClientSocket], [SERVER, onServerSocket]],
);
