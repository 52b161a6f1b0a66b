/**
 * Memory for one consumer that is done with what it got before it asks again (the log processor reading a
 * batch, then joining it for an insert). Slices come from one buffer kept from call to call, so large
 * batches do not allocate tens of megabytes each time: V8 counts such allocations as external memory and
 * answers every 64 MB of them with a full mark of the heap on the event loop.
 */
export class ReuseBuffer {
  #buffer = Buffer.alloc(0);
  #used = 0;

  /** Starts over: every slice taken before may now be overwritten. */
  reset(): void {
    this.#used = 0;
  }

  /** `length` bytes that stay the caller's until the next reset; not zeroed. */
  take(length: number): Buffer {
    if (this.#used + length > this.#buffer.length) {
      // Grown only when empty, so slices already handed out keep their memory; a call that does not fit
      // beside them gets memory of its own this once.
      if (this.#used > 0) return Buffer.allocUnsafe(length);
      // With room to spare, as the next batch is seldom exactly as large.
      this.#buffer = Buffer.allocUnsafeSlow(Math.ceil(Math.max(length * 1.25, this.#buffer.length * 1.5)));
    }
    const slice = this.#buffer.subarray(this.#used, this.#used + length);
    this.#used += length;
    return slice;
  }
}
