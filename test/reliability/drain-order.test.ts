/**
 * Packets reach a stream file in packet_seq_num order, always (issue 12, section 0): the drainer
 * thread used to pick "the oldest committed packet" from a scan that could see a newer packet
 * committed after it had passed an older one still being written.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { marker, Session } from '../../src/index.js';
import { PACKET, readU64 } from '../../src/ring/layout.js';
import { ctfcheck, trace } from '../ctf/helpers.js';

/** packet_seq_num of every packet of a stream file, in file order. */
function seqNumbers(file: string): number[] {
  const bytes = readFileSync(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const seqs: number[] = [];
  for (let pos = 0; pos < bytes.length;) {
    seqs.push(readU64(view, pos + PACKET.seqNumOffsetBytes));
    const sizeBytes = readU64(view, pos + PACKET.packetSizeOffsetBytes) / 8;
    assert.ok(sizeBytes >= PACKET.headerSizeBytes, `bad packet size at ${pos}`);
    pos += sizeBytes;
  }
  return seqs;
}

/** Whole packets in the stream file so far (0 before it exists). */
function drainedPackets(file: string): number {
  try {
    return seqNumbers(file).length;
  } catch {
    return 0;
  }
}

for (const mode of ['discard', 'overwrite'] as const) {
  test(`tiny sub-buffers, a hot loop, the drainer racing it (${mode}): packets in sequence order`, async () => {
    const dir = trace(`order-${mode}`);
    const ev = marker(`order:${mode}`, 'i %u s %s');
    const session = new Session({ output: dir, channels: { default: { subbufSize: 256, subbufCount: 8, mode } } });
    session.enable(`order:${mode}`);
    session.start();
    // Not vacuous: go on until the drainer has written more than 100 packets (how many rounds
    // that takes depends on how often the drainer thread gets a core: no timing here).
    const file = join(dir, 'default_0');
    for (let round = 0; round < 20 || (round < 2000 && drainedPackets(file) <= 100); round++) {
      for (let i = 0; i < 5000; i++) ev(i, 'x');
      await new Promise((resolve) => (round < 20 ? setImmediate(resolve) : setTimeout(resolve, 5)));
    }
    await session.close();
    const seqs = seqNumbers(file);
    assert.ok(seqs.length > 100, `${seqs.length} packets`);
    for (let k = 1; k < seqs.length; k++) assert.ok(seqs[k] > seqs[k - 1], `packet ${seqs[k]} written after ${seqs[k - 1]}`);
    if (mode === 'discard') {
      const stats = session.stats().channels.default;
      const check = ctfcheck(dir, '--expect-events', String(stats.written), '--expect-discarded', String(stats.discarded));
      assert.equal(check.status, 0, check.output);
    }
  });
}
