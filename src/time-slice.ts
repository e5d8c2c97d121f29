/**
 * Cooperative time slicing for long CPU work on the thread that also answers questions (the index
 * build): a loop that calls `if (slice.due()) await slice.pause()` gives the event loop a turn
 * (timers, I/O, the next question) at least every `TIME_SLICE.ms` of its own work.
 */
export const TIME_SLICE = {
  /** Longest run of work between two turns of the event loop, ms (tests set 0: a turn at every check). */
  ms: 20,
};

export class TimeSlice {
  private start = performance.now();

  /** Has this slice used its time? */
  due(): boolean {
    return performance.now() - this.start >= TIME_SLICE.ms;
  }

  /** Lets the event loop run everything that waits (setImmediate: after I/O callbacks), then starts a new slice. */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.start = performance.now();
  }
}
