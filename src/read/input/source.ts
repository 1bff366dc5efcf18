/**
 * File readers that feed a StreamReader its windows: large chunks (whole packets at least),
 * one reusable Buffer per stream file. Decoded values never point into the buffer (strings are
 * decoded, byte arrays copied), so it can be overwritten by the next read.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { ioError } from '../errors.js';
import { NEED_DATA, type Pull, type StreamReader } from '../decode/stream.js';

export const DEFAULT_CHUNK_BYTES = 1 << 20;

/** Chunk size for `streamCount` files read at once: about 64 MiB of buffers in all, 64 KiB to 4 MiB each. */
export function chunkBytesFor(streamCount: number): number {
  return Math.max(64 << 10, Math.min(4 << 20, Math.floor((64 << 20) / Math.max(1, streamCount))));
}

abstract class WindowBuffer {
  protected buffer: Buffer = Buffer.alloc(0);

  constructor(readonly path: string, private sizeBytes: number, protected readonly chunkBytes: number) {}

  get size(): number {
    return this.sizeBytes;
  }

  /** The file grew (followed while written). */
  grow(sizeBytes: number): void {
    if (sizeBytes > this.sizeBytes) this.sizeBytes = sizeBytes;
  }

  /** How many bytes to read for a request, and a buffer big enough for them. */
  protected plan(offset: number, minBytes: number): number {
    const length = Math.max(0, Math.min(this.size - offset, Math.max(minBytes, this.chunkBytes)));
    if (this.buffer.length < length) this.buffer = Buffer.allocUnsafe(Math.max(length, this.chunkBytes));
    return length;
  }
}

export class SyncFileSource extends WindowBuffer {
  private fd: number | undefined;
  /** False for a second reader of another source's file handle (`share`): close leaves it open. */
  private ownsFd = true;

  static open(path: string, chunkBytes = DEFAULT_CHUNK_BYTES): SyncFileSource {
    let fd: number | undefined;
    try {
      fd = openSync(path, 'r');
      const source = new SyncFileSource(path, fstatSync(fd).size, chunkBytes);
      source.fd = fd;
      return source;
    } catch (error) {
      if (fd !== undefined) closeSync(fd);
      throw ioError(path, error);
    }
  }

  /**
   * Another source on the same open file, with a window of its own: it reads the file this
   * source opened even after its path was removed or given to a new file.
   */
  share(chunkBytes = DEFAULT_CHUNK_BYTES): SyncFileSource {
    const source = new SyncFileSource(this.path, this.currentSize(), chunkBytes);
    source.fd = this.fd;
    source.ownsFd = false;
    return source;
  }

  /** The open file's inode: a path that names another inode now names a new file. */
  inode(): number {
    try {
      return fstatSync(this.fd as number).ino;
    } catch (error) {
      throw ioError(this.path, error);
    }
  }

  /** Pulls the reader's next result, reading the file as often as it asks. */
  pull(reader: StreamReader): Pull {
    for (;;) {
      const result = reader.next();
      if (result !== NEED_DATA) return result;
      this.fill(reader);
    }
  }

  /** Loads what the reader asked for (`needOffsetBytes`, `needBytes`) and hands it the window. */
  fill(reader: StreamReader): void {
    const length = this.plan(reader.needOffsetBytes, reader.needBytes);
    let done = 0;
    try {
      while (done < length) {
        const n = readSync(this.fd as number, this.buffer, done, length - done, reader.needOffsetBytes + done);
        if (n === 0) break;
        done += n;
      }
    } catch (error) {
      throw ioError(this.path, error);
    }
    reader.setWindow(this.buffer, reader.needOffsetBytes, done);
  }

  /** The file's size now (it may be growing). */
  currentSize(): number {
    try {
      return fstatSync(this.fd as number).size;
    } catch (error) {
      throw ioError(this.path, error);
    }
  }

  close(): void {
    if (this.fd !== undefined && this.ownsFd) closeSync(this.fd);
    this.fd = undefined;
  }
}

export class AsyncFileSource extends WindowBuffer {
  private handle: FileHandle | undefined;

  static async open(path: string, chunkBytes = DEFAULT_CHUNK_BYTES): Promise<AsyncFileSource> {
    let handle: FileHandle | undefined;
    try {
      handle = await open(path, 'r');
      const source = new AsyncFileSource(path, (await handle.stat()).size, chunkBytes);
      source.handle = handle;
      return source;
    } catch (error) {
      await handle?.close();
      throw ioError(path, error);
    }
  }

  /** Like SyncFileSource.pull; awaits only when the reader needs more of the file. */
  async pull(reader: StreamReader): Promise<Pull> {
    for (;;) {
      const result = reader.next();
      if (result !== NEED_DATA) return result;
      await this.fill(reader);
    }
  }

  /** Loads what the reader asked for (`needOffsetBytes`, `needBytes`) and hands it the window. */
  async fill(reader: StreamReader): Promise<void> {
    const length = this.plan(reader.needOffsetBytes, reader.needBytes);
    let done = 0;
    try {
      while (done < length) {
        const { bytesRead } = await (this.handle as FileHandle).read(this.buffer, done, length - done, reader.needOffsetBytes + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    } catch (error) {
      throw ioError(this.path, error);
    }
    reader.setWindow(this.buffer, reader.needOffsetBytes, done);
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}
