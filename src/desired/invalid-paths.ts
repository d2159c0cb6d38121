// The document paths where the schema found problems, kept as a tree of their segments:
// whether a value is spoiled is asked once for every value of every job, so the answer
// costs the length of the value's path, not the number of problems (a spec with thousands
// of jobs, each with a bad value, was quadratic; docs/architecture.md, "Performance").

import type { DocPath } from "./yaml-source.js";

interface Node {
  /** A problem sits exactly here. */
  end: boolean;
  children: Map<string, Node> | undefined;
}

export class InvalidPaths {
  readonly #root: Node = { end: false, children: undefined };
  #size = 0;

  /** A problem with the whole document (the empty path) spoils no value by itself. */
  constructor(paths: Iterable<DocPath> = []) {
    for (const path of paths) this.add(path);
  }

  add(path: DocPath): void {
    this.#size += 1;
    if (path.length === 0) return;
    let node = this.#root;
    for (const segment of path) {
      node.children ??= new Map();
      const key = String(segment);
      let child = node.children.get(key);
      if (child === undefined) {
        child = { end: false, children: undefined };
        node.children.set(key, child);
      }
      node = child;
    }
    node.end = true;
  }

  /** How many problems were added. */
  get size(): number {
    return this.#size;
  }

  /** Whether a problem sits at, above or below `path`: the value there cannot be trusted. */
  touches(path: DocPath): boolean {
    const node = this.#walk(path);
    return node === true || (node !== undefined && (node.end || node.children !== undefined));
  }

  /** Whether a problem sits at or above `path` (not below it). */
  covers(path: DocPath): boolean {
    const node = this.#walk(path);
    return node === true || node?.end === true;
  }

  /** The node at `path`; true as soon as a problem sits at a proper prefix of it; undefined when no problem is on the way. */
  #walk(path: DocPath): Node | true | undefined {
    let node = this.#root;
    for (const segment of path) {
      if (node.end) return true;
      const child = node.children?.get(String(segment));
      if (child === undefined) return undefined;
      node = child;
    }
    return node;
  }
}
