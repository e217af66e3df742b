/**
 * A set of field paths (SMD `fieldpath.Set`): which fields a manager owns, or which fields an
 * operation added, changed or removed. It is a tree: at each level, `members` are the elements
 * that are themselves in the set and `children` the elements with paths below them in the set
 * (an element can be both, e.g. a list item that is owned as a whole and field by field).
 *
 * Stored in `metadata.managedFields[].fieldsV1` as nested objects keyed by serialized elements,
 * with `{}` for a member leaf and `".": {}` marking a member that also has children.
 */
import { isObject, put, type JsonObject } from '../patch/json-value.js';
import { compareElements, parseElement, serializeElement, type Path, type PathElement } from './fieldpath.js';

interface Child {
  pe: PathElement;
  set: FieldSet;
}

/** Index of `pe` in the sorted `list`, or where it would go (as a negative `-(insertAt + 1)`). */
function search<T>(list: readonly T[], pe: PathElement, elementOf: (t: T) => PathElement): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compareElements(elementOf(list[mid]), pe);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -(lo + 1);
}

const self = (pe: PathElement): PathElement => pe;
const childElement = (c: Child): PathElement => c.pe;

/**
 * Sets are values: the operations never change their operands (they may return one of them, when
 * the other is empty). Only `insert` mutates, and only a set being built (a fresh `new FieldSet()`
 * or `FieldSet.of`) may be given to it.
 */
export class FieldSet {
  /** sorted by element */
  private readonly members: PathElement[] = [];
  /** sorted by element; never empty sets */
  private readonly children: Child[] = [];

  static of(...paths: Path[]): FieldSet {
    const set = new FieldSet();
    for (const p of paths) set.insert(p);
    return set;
  }

  /** Adds `path` (not its parents). The empty path, the whole object, is never tracked. */
  insert(path: Path): void {
    if (path.length === 0) return;
    let set: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) {
      const at = search(set.children, path[i], childElement);
      if (at >= 0) set = set.children[at].set;
      else {
        const child = new FieldSet();
        set.children.splice(-(at + 1), 0, { pe: path[i], set: child });
        set = child;
      }
    }
    const last = path[path.length - 1];
    const at = search(set.members, last, self);
    if (at < 0) set.members.splice(-(at + 1), 0, last);
  }

  hasMember(pe: PathElement): boolean {
    return search(this.members, pe, self) >= 0;
  }

  /** The subset of paths below `pe`, with `pe` removed from their front (SMD `WithPrefix`). */
  child(pe: PathElement): FieldSet | undefined {
    const at = search(this.children, pe, childElement);
    return at >= 0 ? this.children[at].set : undefined;
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    if (path.length === 1) return this.hasMember(path[0]);
    const below = this.child(path[0]);
    return below !== undefined && below.has(path.slice(1));
  }

  isEmpty(): boolean {
    // children are never empty sets, so a set without members or children is the only empty one
    return this.members.length === 0 && this.children.length === 0;
  }

  /** The elements with paths below them, with those paths (for walks alongside a schema). */
  childEntries(): ReadonlyArray<readonly [PathElement, FieldSet]> {
    return this.children.map((c) => [c.pe, c.set] as const);
  }

  private static build(members: PathElement[], children: Child[]): FieldSet {
    const set = new FieldSet();
    set.members.push(...members);
    set.children.push(...children.filter((c) => !c.set.isEmpty()));
    return set;
  }

  union(other: FieldSet): FieldSet {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    const members = [...this.members];
    for (const pe of other.members) {
      const at = search(members, pe, self);
      if (at < 0) members.splice(-(at + 1), 0, pe);
    }
    const children = [...this.children];
    for (const c of other.children) {
      const at = search(children, c.pe, childElement);
      if (at >= 0) children[at] = { pe: c.pe, set: children[at].set.union(c.set) };
      else children.splice(-(at + 1), 0, c);
    }
    return FieldSet.build(members, children);
  }

  intersection(other: FieldSet): FieldSet {
    if (this.isEmpty()) return this;
    if (other.isEmpty()) return other;
    const members = this.members.filter((pe) => other.hasMember(pe));
    const children: Child[] = [];
    for (const c of this.children) {
      const theirs = other.child(c.pe);
      if (theirs) children.push({ pe: c.pe, set: c.set.intersection(theirs) });
    }
    return FieldSet.build(members, children);
  }

  /** Paths of this set not in `other`; a member of `other` does not remove the paths below it. */
  difference(other: FieldSet): FieldSet {
    if (this.isEmpty() || other.isEmpty()) return this;
    const members = this.members.filter((pe) => !other.hasMember(pe));
    const children = this.children.map((c) => {
      const theirs = other.child(c.pe);
      return theirs ? { pe: c.pe, set: c.set.difference(theirs) } : c;
    });
    return FieldSet.build(members, children);
  }

  /** Like `difference`, but a member of `other` also removes every path below it. */
  recursiveDifference(other: FieldSet): FieldSet {
    if (this.isEmpty() || other.isEmpty()) return this;
    const members = this.members.filter((pe) => !other.hasMember(pe));
    const children: Child[] = [];
    for (const c of this.children) {
      if (other.hasMember(c.pe)) continue;
      const theirs = other.child(c.pe);
      children.push(theirs ? { pe: c.pe, set: c.set.recursiveDifference(theirs) } : c);
    }
    return FieldSet.build(members, children);
  }

  /** Every path in the set: members of a level before the paths below it, each in element order. */
  paths(): Path[] {
    const out: Path[] = this.members.map((pe) => [pe]);
    for (const c of this.children) for (const p of c.set.paths()) out.push([c.pe, ...p]);
    return out;
  }

  equals(other: FieldSet): boolean {
    return this.difference(other).isEmpty() && other.difference(this).isEmpty();
  }

  /** The `fieldsV1` encoding. */
  toFieldsV1(): JsonObject {
    const out: JsonObject = {};
    let m = 0;
    let c = 0;
    while (m < this.members.length || c < this.children.length) {
      const order =
        m >= this.members.length ? 1 : c >= this.children.length ? -1 : compareElements(this.members[m], this.children[c].pe);
      if (order < 0) put(out, serializeElement(this.members[m++]), {});
      else if (order > 0) {
        const child = this.children[c++];
        put(out, serializeElement(child.pe), child.set.toFieldsV1());
      } else {
        const child = this.children[c++];
        m++;
        put(out, serializeElement(child.pe), { '.': {}, ...child.set.toFieldsV1() });
      }
    }
    return out;
  }

  /** Decodes `fieldsV1`; throws an Error if it is not a valid encoding. Unknown element types are dropped, as SMD does. */
  static fromFieldsV1(encoded: unknown): FieldSet {
    return FieldSet.readLevel(encoded).children ?? new FieldSet();
  }

  /** One level of `fieldsV1`: the set below it (undefined if none) and whether it is a member itself. */
  private static readLevel(encoded: unknown): { children?: FieldSet; isMember: boolean } {
    if (encoded === null) return { isMember: true };
    if (!isObject(encoded)) throw new Error(`expected an object in fieldsV1, got ${JSON.stringify(encoded)}`);
    let isMember = false;
    let children: FieldSet | undefined;
    for (const [key, value] of Object.entries(encoded)) {
      if (key === '.') {
        isMember = true;
        continue;
      }
      const pe = parseElement(key);
      if (!pe) continue;
      const below = FieldSet.readLevel(value);
      children ??= new FieldSet();
      if (below.isMember) children.insert([pe]);
      if (below.children) children.addBelow(pe, below.children);
    }
    return { children, isMember: isMember || children === undefined };
  }

  /** Adds the paths of the non-empty `set` below `pe` (a set being built, as for `insert`). */
  private addBelow(pe: PathElement, set: FieldSet): void {
    const at = search(this.children, pe, childElement);
    if (at >= 0) this.children[at] = { pe, set: this.children[at].set.union(set) };
    else this.children.splice(-(at + 1), 0, { pe, set });
  }
}
