/** A typed array that grows by doubling: columns of unknown final length without JS arrays. */
type TypedArray = Float64Array | Uint32Array | Uint16Array | Uint8Array;
type TypedArrayClass<T extends TypedArray> = { new (length: number): T };

export class GrowableArray<T extends TypedArray> {
  private data: T;
  length = 0;

  constructor(private readonly kind: TypedArrayClass<T>, capacity = 1024) {
    this.data = new kind(Math.max(16, capacity));
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new this.kind(this.data.length * 2);
      grown.set(this.data as never);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  at(index: number): number {
    return this.data[index];
  }

  /** The filled part (shares memory). */
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}
