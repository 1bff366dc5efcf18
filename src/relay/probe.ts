/** Checks that a relay daemon answers (both ports, protocol version), then hangs up. */
import { RelayConnection } from './connection.js';
import { parseRelayUrl } from './url.js';

export async function probeRelay(url: string, timeoutMs = 3000): Promise<{ minor: number }> {
  const connection = await RelayConnection.open(parseRelayUrl(url), { connectTimeoutMs: timeoutMs, replyTimeoutMs: timeoutMs });
  const { minor } = connection;
  connection.destroy();
  return { minor };
}
