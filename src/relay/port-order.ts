/**
 * The order in which the relay sender thread takes what two threads post to it: packets from the
 * drainer thread, and metadata, beacons, stream adds and ends from the main thread. Ports of
 * different threads are not ordered with each other, so each handler first takes what the other
 * port already holds when order matters:
 * - metadata the main thread posted goes before the drainer's packet that needs it;
 * - a stream's end (or the session's close) goes after every packet the drainer handed over
 *   before the main thread posted it, including the packet whose event is running now, which is
 *   no longer in the drainer port's queue.
 */
export interface PortOrderHooks<Packet, Message> {
  /** The next message queued on the main thread's port (a packet at exit, or a command). */
  receiveMain(): Packet | Message | undefined;
  /** The next packet queued on the drainer's port. */
  receiveDrainer(): Packet | undefined;
  isPacket(message: Packet | Message): message is Packet;
  /** A stream's end or the session's close. */
  isEnd(message: Message): boolean;
  handleMain(message: Packet | Message): void;
  enqueue(packet: Packet): void;
}

export class PortOrder<Packet, Message> {
  private readonly hooks: PortOrderHooks<Packet, Message>;

  constructor(hooks: PortOrderHooks<Packet, Message>) {
    this.hooks = hooks;
  }

  /** Packets the drainer posted before what the main thread sends now. */
  drainDrainer(): void {
    for (let packet = this.hooks.receiveDrainer(); packet !== undefined; packet = this.hooks.receiveDrainer()) {
      this.hooks.enqueue(packet);
    }
  }

  /** A main-thread message, after what the drainer handed over before it where that matters. */
  onMainMessage(message: Packet | Message): void {
    const { hooks } = this;
    if (hooks.isPacket(message) || hooks.isEnd(message)) this.drainDrainer();
    hooks.handleMain(message);
  }

  /** Everything queued on the main thread's port, in order. */
  drainMain(): void {
    for (let message = this.hooks.receiveMain(); message !== undefined; message = this.hooks.receiveMain()) {
      this.onMainMessage(message);
    }
  }

  /** A drainer packet's event: the main thread's earlier messages first, up to an end, which goes after it. */
  onDrainerPacket(packet: Packet): void {
    const { hooks } = this;
    let end: Message | undefined;
    for (let message = hooks.receiveMain(); message !== undefined; message = hooks.receiveMain()) {
      if (!hooks.isPacket(message) && hooks.isEnd(message)) {
        end = message;
        break;
      }
      hooks.handleMain(message);
    }
    hooks.enqueue(packet);
    if (end === undefined) return;
    this.onMainMessage(end);
    this.drainMain();
  }
}
