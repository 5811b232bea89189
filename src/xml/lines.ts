import type { Position } from "./ast.ts";

/**
 * Maps offsets to 1-based line:col. Line starts are found as far as positions are asked for,
 * so text after the last element (or a document refused early) is never scanned.
 */
export class LineIndex {
  private readonly text: string;
  private readonly starts: number[] = [0];
  /** Line starts are known for every offset below this. */
  private scanned = 0;
  constructor(text: string) {
    this.text = text;
  }
  at(offset: number): Position {
    if (offset >= this.scanned) this.scanTo(offset + 1);
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.starts[lo]! + 1, offset };
  }
  private scanTo(end: number): void {
    const { text, starts } = this;
    const stop = Math.min(end, text.length);
    for (let i = this.scanned; i < stop; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
    this.scanned = Math.max(stop, end);
  }
}
