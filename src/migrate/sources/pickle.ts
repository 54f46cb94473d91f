/**
 * A pickle reader that never executes code.
 *
 * It interprets the pickle opcodes of protocols 2-5 as *data*: lists, dicts, tuples, sets,
 * strings, bytes, ints, floats, None, booleans. A GLOBAL / STACK_GLOBAL naming anything
 * outside a short allow-list is refused at once, with the name, before any REDUCE could run
 * it. The allow-list is interpreted, not imported: `collections.OrderedDict` becomes a plain
 * object, and NumPy arrays (`numpy.core.multiarray._reconstruct` + `numpy.dtype` + BUILD
 * state) become number arrays read from their raw bytes, so `{id: np.array(...)}` pickles
 * load without NumPy and without trusting the file.
 *
 * Streaming: the records are the items of the outermost list or dict. They are emitted as
 * they are appended and not kept; containers from emitted records are dropped from the memo
 * (a later reference to one is reported, which plain `pickle.dump` of records never does).
 */
import { SourceFormatError } from "../errors.js";
import { recordFromObject, type SourceRecord } from "../record.js";
import type { ByteInput } from "./byte-input.js";
import type { RecordSource } from "./source.js";

export function isPickle(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x80 && (head[1] as number) >= 2 && (head[1] as number) <= 5;
}

const MARK = Symbol("mark");
const DROPPED = Symbol("dropped");

/** A safe stand-in for an allow-listed global. */
class SafeGlobal {
  constructor(readonly name: string) {}
}
class NdArray {
  values: number[] | null = null;
}
class Dtype {
  constructor(
    public kind: string,
    public littleEndian = true,
  ) {}
}

const ALLOWED_GLOBALS = new Set([
  "collections.OrderedDict",
  "builtins.set",
  "builtins.frozenset",
  "numpy.core.multiarray._reconstruct",
  "numpy._core.multiarray._reconstruct",
  "numpy.ndarray",
  "numpy.dtype",
  "numpy.core.multiarray.scalar",
  "numpy._core.multiarray.scalar",
  // How NumPy pickles array bytes: protocol 2 as latin-1 text re-encoded, protocol 5 via _frombuffer.
  "_codecs.encode",
  "numpy.core.numeric._frombuffer",
  "numpy._core.numeric._frombuffer",
]);

class NeedMore extends Error {}

/** Where the root container's items go as they are appended. */
type Sink = (item: unknown, key: unknown, hasKey: boolean) => void;

/**
 * The pickle virtual machine, resumable at opcode boundaries: `feed` more bytes, `run` until
 * the data runs out (mid-opcode state is rolled back to the opcode start) or STOP.
 */
export class SafeUnpickler {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private consumed = 0;
  private stack: unknown[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, unknown>();
  private readonly recentContainers: number[] = [];
  private root: unknown[] | Record<string, unknown> | null = null;
  stopped = false;

  constructor(
    private readonly source: string,
    private readonly sink: Sink,
  ) {}

  feed(chunk: Buffer): void {
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), chunk]) : chunk;
    this.consumed += this.pos;
    this.pos = 0;
  }

  /** Offset in the pickle of the next opcode, for error messages. */
  get offset(): number {
    return this.consumed + this.pos;
  }

  run(): void {
    while (!this.stopped) {
      const start = this.pos;
      try {
        this.step();
      } catch (error) {
        if (error instanceof NeedMore) {
          this.pos = start;
          return;
        }
        throw error;
      }
    }
  }

  /** The value left by STOP when the pickle was not a list/dict of records. */
  result: unknown;

  private fail(what: string): never {
    throw new SourceFormatError(
      "migrate.read",
      "unsafe_pickle",
      `${this.source}: ${what} (byte ${this.offset})`,
    );
  }

  private take(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new NeedMore();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  private u8(): number {
    return this.take(1)[0] as number;
  }
  private lengthPrefixed(width: 1 | 4 | 8): Buffer {
    const head = this.take(width);
    const n =
      width === 1
        ? (head[0] as number)
        : width === 4
          ? head.readUInt32LE(0)
          : Number(head.readBigUInt64LE(0));
    return this.take(n);
  }
  private pop(): unknown {
    if (this.stack.length === 0) this.fail("stack underflow: corrupt pickle");
    return this.stack.pop();
  }
  private top(): unknown {
    if (this.stack.length === 0) this.fail("stack underflow: corrupt pickle");
    return this.stack[this.stack.length - 1];
  }
  private popMark(): unknown[] {
    const mark = this.marks.pop();
    if (mark === undefined) this.fail("MARK expected: corrupt pickle");
    const items = this.stack.splice(mark);
    items.shift(); // the MARK itself
    return items;
  }
  private push(value: unknown): void {
    if (this.root === null && this.stack.length === 0 && (Array.isArray(value) || isPlainObject(value))) {
      this.root = value as unknown[] | Record<string, unknown>;
    }
    this.stack.push(value);
  }
  private memoize(index: number, value: unknown): void {
    this.memo.set(index, value);
    if (value === this.root) return;
    if (
      Array.isArray(value) ||
      isPlainObject(value) ||
      value instanceof NdArray ||
      value instanceof Set ||
      value instanceof Uint8Array
    ) {
      // Record data (not shared globals or dtypes, which later records refer to again).
      this.recentContainers.push(index);
    }
  }
  private recall(index: number): unknown {
    if (!this.memo.has(index)) this.fail(`memo ${index} is not defined: corrupt pickle`);
    const value = this.memo.get(index);
    if (value === DROPPED) {
      this.fail(
        `a record refers to an object of an earlier record (memo ${index}); re-save with plain pickle.dump of independent records`,
      );
    }
    return value;
  }

  /** Append to a list; the root list emits instead of storing. */
  private appendTo(list: unknown, items: unknown[]): void {
    if (list === this.root && Array.isArray(list)) {
      for (const item of items) this.sink(item, undefined, false);
      this.forgetRecent();
      return;
    }
    if (list instanceof Set) {
      for (const item of items) list.add(item);
      return;
    }
    if (!Array.isArray(list)) this.fail("APPEND on a non-list");
    for (const item of items) list.push(item);
  }
  private setItems(dict: unknown, pairs: unknown[]): void {
    if (pairs.length % 2 !== 0) this.fail("SETITEMS with an odd number of values");
    if (dict === this.root && isPlainObject(dict)) {
      for (let k = 0; k < pairs.length; k += 2) this.sink(pairs[k + 1], pairs[k], true);
      this.forgetRecent();
      return;
    }
    if (!isPlainObject(dict)) this.fail("SETITEM on a non-dict");
    const target = dict as Record<string, unknown>;
    for (let k = 0; k < pairs.length; k += 2) target[keyOf(pairs[k])] = pairs[k + 1];
  }
  /** Drop emitted records' containers from the memo so memory stays bounded. */
  private forgetRecent(): void {
    for (const index of this.recentContainers) this.memo.set(index, DROPPED);
    this.recentContainers.length = 0;
  }

  private global(module: string, name: string): void {
    const full = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.has(full)) {
      this.fail(
        `refusing to load global ${full}: this reader only loads plain data (lists, dicts, strings, numbers, NumPy arrays) and never runs code from a pickle; convert the data with .tolist() or save it as JSON/.npy`,
      );
    }
    this.push(new SafeGlobal(full));
  }

  private reduce(callable: unknown, args: unknown): unknown {
    if (!(callable instanceof SafeGlobal) || !Array.isArray(args)) this.fail("REDUCE of a non-global");
    const name = (callable as SafeGlobal).name;
    if (name === "collections.OrderedDict") {
      const out: Record<string, unknown> = {};
      const pairs = (args as unknown[])[0];
      if (Array.isArray(pairs))
        for (const pair of pairs) if (Array.isArray(pair)) out[keyOf(pair[0])] = pair[1];
      return out;
    }
    if (name === "builtins.set" || name === "builtins.frozenset") {
      const first = (args as unknown[])[0];
      return Array.isArray(first) ? [...first] : first instanceof Set ? [...first] : [];
    }
    if (name.endsWith("._reconstruct") || name === "numpy.ndarray") return new NdArray();
    if (name === "_codecs.encode") {
      const [text, encoding] = args as [unknown, unknown];
      if (typeof text !== "string" || (encoding !== "latin1" && encoding !== "latin-1"))
        this.fail("_codecs.encode with unexpected arguments");
      return Uint8Array.from(Buffer.from(text as string, "latin1"));
    }
    if (name.endsWith("._frombuffer")) {
      const [raw, dtype, shape] = args as [unknown, unknown, unknown];
      if (!(raw instanceof Uint8Array) || !(dtype instanceof Dtype))
        this.fail("_frombuffer with unexpected arguments");
      if (!Array.isArray(shape) || shape.length > 1)
        this.fail(`NumPy array of shape (${String(shape)}) in a record: only 1-D vectors are supported`);
      return decodeNumbers(dtype as Dtype, Buffer.from(raw as Uint8Array));
    }
    if (name === "numpy.dtype") return new Dtype(String((args as unknown[])[0]));
    if (name.endsWith(".scalar")) {
      const [dtype, raw] = args as [unknown, unknown];
      if (dtype instanceof Dtype && raw instanceof Uint8Array)
        return decodeNumbers(dtype, Buffer.from(raw))[0];
      this.fail("numpy scalar with an unsupported dtype");
    }
    return this.fail(`cannot apply ${name}`);
  }

  private build(target: unknown, state: unknown): void {
    if (target instanceof Dtype) {
      if (Array.isArray(state) && typeof state[1] === "string") target.littleEndian = state[1] !== ">";
      return;
    }
    if (target instanceof NdArray && Array.isArray(state) && state.length >= 5) {
      const [, shape, dtype, fortran, raw] = state as [unknown, unknown, unknown, unknown, unknown];
      if (!(dtype instanceof Dtype) || !(raw instanceof Uint8Array))
        this.fail("unsupported NumPy array state");
      if (!Array.isArray(shape) || shape.length > 1) {
        this.fail(`NumPy array of shape (${String(shape)}) in a record: only 1-D vectors are supported`);
      }
      void fortran;
      target.values = decodeNumbers(dtype as Dtype, Buffer.from(raw as Uint8Array));
      return;
    }
    this.fail("BUILD on an object other than a NumPy array or dtype");
  }

  private step(): void {
    const op = this.u8();
    switch (op) {
      case 0x80: // PROTO
        if (this.u8() > 5) this.fail("pickle protocol newer than 5");
        return;
      case 0x95: // FRAME
        this.take(8);
        return;
      case 0x2e: // STOP
        this.result = unwrap(this.stack.pop());
        this.stopped = true;
        return;
      case 0x28: // MARK
        this.marks.push(this.stack.length);
        this.stack.push(MARK);
        return;
      case 0x5d: // EMPTY_LIST
        this.push([]);
        return;
      case 0x7d: // EMPTY_DICT
        this.push({});
        return;
      case 0x29: // EMPTY_TUPLE
        this.push([]);
        return;
      case 0x8f: // EMPTY_SET
        this.push(new Set());
        return;
      case 0x6c: // LIST
      case 0x74: // TUPLE
        this.push(this.popMark().map(unwrap));
        return;
      case 0x91: // FROZENSET
        this.push(this.popMark().map(unwrap));
        return;
      case 0x64: {
        // DICT
        const pairs = this.popMark();
        const out: Record<string, unknown> = {};
        for (let k = 0; k + 1 < pairs.length; k += 2) out[keyOf(pairs[k])] = unwrap(pairs[k + 1]);
        this.push(out);
        return;
      }
      case 0x85: // TUPLE1
        this.push([unwrap(this.pop())]);
        return;
      case 0x86: {
        const b = this.pop();
        const a = this.pop();
        this.push([unwrap(a), unwrap(b)]);
        return;
      }
      case 0x87: {
        const c = this.pop();
        const b = this.pop();
        const a = this.pop();
        this.push([unwrap(a), unwrap(b), unwrap(c)]);
        return;
      }
      case 0x61: {
        // APPEND
        const item = unwrap(this.pop());
        this.appendTo(this.top(), [item]);
        return;
      }
      case 0x65: {
        // APPENDS
        const items = this.popMark().map(unwrap);
        this.appendTo(this.top(), items);
        return;
      }
      case 0x90: {
        // ADDITEMS
        const items = this.popMark().map(unwrap);
        this.appendTo(this.top(), items);
        return;
      }
      case 0x73: {
        // SETITEM
        const value = unwrap(this.pop());
        const key = unwrap(this.pop());
        this.setItems(this.top(), [key, value]);
        return;
      }
      case 0x75: {
        // SETITEMS
        const pairs = this.popMark().map(unwrap);
        this.setItems(this.top(), pairs);
        return;
      }
      case 0x4e: // NONE
        this.push(null);
        return;
      case 0x88: // NEWTRUE
        this.push(true);
        return;
      case 0x89: // NEWFALSE
        this.push(false);
        return;
      case 0x4b: // BININT1
        this.push(this.u8());
        return;
      case 0x4d: // BININT2
        this.push(this.take(2).readUInt16LE(0));
        return;
      case 0x4a: // BININT
        this.push(this.take(4).readInt32LE(0));
        return;
      case 0x8a: // LONG1
        this.push(decodeLong(this.lengthPrefixed(1)));
        return;
      case 0x8b: // LONG4
        this.push(decodeLong(this.lengthPrefixed(4)));
        return;
      case 0x47: // BINFLOAT
        this.push(this.take(8).readDoubleBE(0));
        return;
      case 0x58: // BINUNICODE
        this.push(this.lengthPrefixed(4).toString("utf8"));
        return;
      case 0x8c: // SHORT_BINUNICODE
        this.push(this.lengthPrefixed(1).toString("utf8"));
        return;
      case 0x8d: // BINUNICODE8
        this.push(this.lengthPrefixed(8).toString("utf8"));
        return;
      case 0x54: // BINSTRING (Python 2 str)
        this.push(this.lengthPrefixed(4).toString("latin1"));
        return;
      case 0x55: // SHORT_BINSTRING
        this.push(this.lengthPrefixed(1).toString("latin1"));
        return;
      case 0x42: // BINBYTES
        this.push(Uint8Array.from(this.lengthPrefixed(4)));
        return;
      case 0x43: // SHORT_BINBYTES
        this.push(Uint8Array.from(this.lengthPrefixed(1)));
        return;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        this.push(Uint8Array.from(this.lengthPrefixed(8)));
        return;
      case 0x94: // MEMOIZE
        this.memoize(this.memo.size, this.top());
        return;
      case 0x71: // BINPUT
        this.memoize(this.u8(), this.top());
        return;
      case 0x72: // LONG_BINPUT
        this.memoize(this.take(4).readUInt32LE(0), this.top());
        return;
      case 0x68: // BINGET
        this.stack.push(this.recall(this.u8()));
        return;
      case 0x6a: // LONG_BINGET
        this.stack.push(this.recall(this.take(4).readUInt32LE(0)));
        return;
      case 0x30: // POP
        if (this.top() === MARK) this.popMark();
        else this.pop();
        return;
      case 0x31: // POP_MARK
        this.popMark();
        return;
      case 0x32: // DUP
        this.stack.push(this.top());
        return;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = this.line();
        const name = this.line();
        this.global(module, name);
        return;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== "string" || typeof name !== "string")
          this.fail("STACK_GLOBAL with non-string names");
        this.global(module as string, name as string);
        return;
      }
      case 0x52: {
        // REDUCE
        const args = this.pop();
        const callable = this.pop();
        this.push(this.reduce(callable, args));
        return;
      }
      case 0x62: {
        // BUILD
        const state = this.pop();
        this.build(this.top(), state);
        return;
      }
      case 0x81: {
        // NEWOBJ
        const args = this.pop();
        const cls = this.pop();
        this.push(this.reduce(cls, args));
        return;
      }
      default:
        this.fail(
          `pickle opcode 0x${op.toString(16)} (${OPCODE_NAMES[op] ?? "unknown"}) is not supported: it builds objects or runs code; only plain data is read`,
        );
    }
  }

  private line(): string {
    const end = this.buf.indexOf(0x0a, this.pos);
    if (end < 0) throw new NeedMore();
    const text = this.buf.toString("utf8", this.pos, end);
    this.pos = end + 1;
    return text;
  }
}

const OPCODE_NAMES: Record<number, string> = {
  105: "INST",
  111: "OBJ",
  146: "NEWOBJ_EX",
  80: "PERSID",
  81: "BINPERSID",
  130: "EXT1",
  131: "EXT2",
  132: "EXT4",
  151: "NEXT_BUFFER",
  152: "READONLY_BUFFER",
  112: "PUT (protocol 0)",
  103: "GET (protocol 0)",
  73: "INT (protocol 0)",
  86: "UNICODE (protocol 0)",
};

function isPlainObject(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}

/** NumPy arrays become number arrays and sets become arrays once they are used as values. */
function unwrap(value: unknown): unknown {
  if (value instanceof NdArray) return value.values ?? [];
  if (value instanceof Set) return [...value];
  return value;
}

function keyOf(key: unknown): string {
  const k = unwrap(key);
  if (typeof k === "string") return k;
  if (typeof k === "number" || typeof k === "boolean" || k === null) return String(k);
  if (typeof k === "bigint") return k.toString();
  return JSON.stringify(k);
}

function decodeLong(bytes: Buffer): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let k = bytes.length - 1; k >= 0; k--) value = (value << 8n) | BigInt(bytes[k] as number);
  if (((bytes[bytes.length - 1] as number) & 0x80) !== 0) value -= 1n << BigInt(bytes.length * 8);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

function decodeNumbers(dtype: Dtype, raw: Buffer): number[] {
  const kind = dtype.kind.replace(/^[<>|=]/, "");
  const little = dtype.littleEndian;
  const read: Record<string, [number, (at: number) => number]> = {
    f4: [4, (at) => (little ? raw.readFloatLE(at) : raw.readFloatBE(at))],
    f8: [8, (at) => (little ? raw.readDoubleLE(at) : raw.readDoubleBE(at))],
    i4: [4, (at) => (little ? raw.readInt32LE(at) : raw.readInt32BE(at))],
    i8: [8, (at) => Number(little ? raw.readBigInt64LE(at) : raw.readBigInt64BE(at))],
  };
  const reader = read[kind];
  if (reader === undefined)
    throw new SourceFormatError(
      "migrate.read",
      "unsafe_pickle",
      `NumPy dtype ${dtype.kind} is not supported`,
    );
  const [size, at] = reader;
  const out = new Array<number>(Math.floor(raw.length / size));
  for (let k = 0; k < out.length; k++) out[k] = at(k * size);
  return out;
}

/**
 * Records from a pickle of a list of record dicts, or a dict of id → vector or id → record
 * (`{"vector": ..., "payload": ...}`, the id coming from the key unless the record has one).
 */
export function pickleSource(input: ByteInput): RecordSource {
  return {
    format: "pickle",
    description: input.path,
    facts: { gzip: input.gzip },
    async *records() {
      let index = 0;
      let out: SourceRecord[] = [];
      const sink: Sink = (item, key, hasKey) => {
        const location = hasKey ? `key ${JSON.stringify(keyOf(key))}` : `item ${index}`;
        if (!hasKey) out.push(recordFromObject(item, index++, location));
        else if (Array.isArray(item) || ArrayBuffer.isView(item)) {
          out.push({ index: index++, location, id: normalizeKey(key), vector: item, payload: {} });
        } else {
          const record = recordFromObject(item, index, location);
          out.push({ ...record, index: index++, id: record.id ?? normalizeKey(key) });
        }
      };
      const vm = new SafeUnpickler(input.path, sink);
      for await (const chunk of input.chunks()) {
        vm.feed(chunk);
        vm.run();
        if (out.length > 0) {
          yield out;
          out = [];
        }
        if (vm.stopped) break;
      }
      if (!vm.stopped) {
        throw new SourceFormatError(
          "migrate.read",
          "truncated",
          `${input.path}: pickle ends before STOP (truncated)`,
        );
      }
      if (
        index === 0 &&
        vm.result !== null &&
        typeof vm.result === "object" &&
        !isPlainObject(vm.result) &&
        !Array.isArray(vm.result)
      ) {
        throw new SourceFormatError(
          "migrate.read",
          "invalid_pickle",
          `${input.path}: expected a list or dict of records`,
        );
      }
    },
    progress: () => ({ done: input.bytesRead(), total: input.size, unit: "bytes" }),
  };
}

/** Dict keys that are integers in Python arrive as numbers; keep them numbers. */
function normalizeKey(key: unknown): unknown {
  return typeof key === "bigint" ? key.toString() : key;
}
