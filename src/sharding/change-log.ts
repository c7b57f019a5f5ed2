/**
 * @module The coordinator's change log: which participants changed, in order, each stamped with a version. A shard's
 * cursor is the last version it has seen; it gets every participant stamped after it. The log keeps only each
 * participant's latest entry once it holds more than twice as many entries as participants, so its size stays
 * bounded by the battle's size however long the battle runs and however often snapshots are pulled. Pure.
 */

export class ChangeLog {
  private ids: number[] = [];
  private versions: number[] = [];
  private last = 0;
  /** Distinct participants ever logged (the compaction threshold). */
  private readonly known = new Set<number>();

  /** The version of the latest entry (a cursor that has seen everything). */
  get version(): number {
    return this.last;
  }

  /** Entries held (for tests and operators): at most about twice the participants logged, plus a small slack. */
  get size(): number {
    return this.ids.length;
  }

  /** Participant `id` changed. */
  push(id: number): void {
    this.ids.push(id);
    this.versions.push(++this.last);
    this.known.add(id);
    if (this.ids.length > 2 * this.known.size + 1_024) this.compact();
  }

  /**
   * Every participant stamped after `cursor`, newest first, each once; `skip` leaves some out (a shard's own
   * players). A cursor from before the last compaction still gets everything that changed after it.
   */
  since(cursor: number, skip: (id: number) => boolean): number[] {
    const out: number[] = [];
    const seen = new Set<number>();
    for (let i = this.ids.length - 1; i >= 0 && this.versions[i]! > cursor; i--) {
      const id = this.ids[i]!;
      if (seen.has(id)) continue;
      seen.add(id);
      if (!skip(id)) out.push(id);
    }
    return out;
  }

  /** Keeps each participant's latest entry, in order (their versions unchanged, so every cursor stays valid). */
  private compact(): void {
    const seen = new Set<number>();
    const ids: number[] = [];
    const versions: number[] = [];
    for (let i = this.ids.length - 1; i >= 0; i--) {
      const id = this.ids[i]!;
      if (seen.has(id)) continue;
      seen.add(id);
      ids.push(id);
      versions.push(this.versions[i]!);
    }
    this.ids = ids.reverse();
    this.versions = versions.reverse();
  }

  clear(): void {
    this.ids = [];
    this.versions = [];
    this.known.clear();
  }
}
