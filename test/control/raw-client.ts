/** A raw control-socket client for protocol tests: send bytes, collect reply lines, see the close. */
import { createConnection, type Socket } from 'node:net';

export interface RawConnection {
  readonly socket: Socket;
  /** Resolves with the next reply line, parsed. */
  next(): Promise<Record<string, unknown>>;
  /** Resolves when the server has closed the connection. */
  readonly closed: Promise<void>;
  send(data: string | Buffer): void;
}

export function connectRaw(path: string): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const lines: string[] = [];
    const waiting: ((line: string) => void)[] = [];
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const waiter = waiting.shift();
        if (waiter !== undefined) waiter(line);
        else lines.push(line);
      }
    });
    const closed = new Promise<void>((resolveClosed) => socket.on('close', () => resolveClosed()));
    socket.on('error', () => {}); // the server may reset a connection it drops
    socket.once('connect', () => resolve({
      socket,
      closed,
      send: (data) => { socket.write(data); },
      next: () => new Promise((resolveLine, rejectLine) => {
        const parse = (line: string): void => resolveLine(JSON.parse(line) as Record<string, unknown>);
        const line = lines.shift();
        if (line !== undefined) parse(line);
        else {
          waiting.push(parse);
          closed.then(() => rejectLine(new Error('connection closed before a reply')), () => {});
        }
      }),
    }));
    socket.once('error', reject);
  });
}

export function request(body: Record<string, unknown>): string {
  return `${JSON.stringify({ v: 1, ...body })}\n`;
}
