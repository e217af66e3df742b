/**
 * The server end of a SPDY/3.1 session, as much of it as kubectl port-forward uses: kubectl 1.32
 * tunnels SPDY through a WebSocket (`SPDY/3.1+portforward.k8s.io`) and opens two streams per
 * forwarded connection. No maintained npm package speaks SPDY any more (spdy-transport was last
 * released in 2018), and the part needed is small: SYN_STREAM in, SYN_REPLY out, DATA both ways,
 * RST_STREAM, PING echo, GOAWAY. Flow control is not enforced by client-go's spdystream, so none is
 * sent. Frame layout: draft-mbelshe-httpbis-spdy-00 §2.2; header blocks §2.6.10.
 */
import zlib from 'node:zlib';

export const FRAME = { SynStream: 1, SynReply: 2, RstStream: 3, Settings: 4, Ping: 6, GoAway: 7, Headers: 8, WindowUpdate: 9 } as const;
export const FLAG_FIN = 0x01;
const VERSION = 3;
const MAX_DATA = 32 * 1024;
/** RST_STREAM status codes used here. */
export const RST = { ProtocolError: 1, InvalidStream: 2, Cancel: 5 } as const;

const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
  'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive',
  'origin',
];
const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

/** The zlib dictionary of SPDY/3 header blocks (§2.6.10.1): length-prefixed words, then a tail. */
export const HEADER_DICTIONARY = Buffer.concat([
  ...DICTIONARY_WORDS.map((w) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(w.length);
    return Buffer.concat([len, Buffer.from(w, 'latin1')]);
  }),
  Buffer.from(DICTIONARY_TAIL, 'latin1'),
]);

const SYNC_FLUSH_MARKER = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);

function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (const byte of b) {
    a = (a + byte) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

export function encodeHeaderBlock(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const entries = Object.entries(headers);
  parts.push(u32(entries.length));
  for (const [k, v] of entries) {
    const name = Buffer.from(k.toLowerCase());
    const value = Buffer.from(v);
    parts.push(u32(name.length), name, u32(value.length), value);
  }
  return Buffer.concat(parts);
}

/**
 * A header block from the front of `b` and how many bytes it took; undefined while `b` does not yet
 * hold all of it. Multiple values of one name are joined by NUL on the wire; the first one counts.
 */
export function parseHeaderBlock(b: Buffer): { headers: Record<string, string>; used: number } | undefined {
  const headers: Record<string, string> = {};
  let off = 0;
  const u32 = () => {
    if (off + 4 > b.length) return undefined;
    off += 4;
    return b.readUInt32BE(off - 4);
  };
  const str = () => {
    const n = u32();
    if (n === undefined || off + n > b.length) return undefined;
    off += n;
    return b.toString('utf8', off - n, off);
  };
  const count = u32();
  if (count === undefined) return undefined;
  for (let i = 0; i < count; i++) {
    const name = str();
    const value = name === undefined ? undefined : str();
    if (value === undefined) return undefined;
    headers[name!.toLowerCase()] = value.split('\0')[0];
  }
  return { headers, used: off };
}

/**
 * Compresses header blocks for the peer's one zlib stream per direction. Each block is a stored
 * (uncompressed) deflate block, which keeps writing synchronous (frames must leave in order) and is
 * valid to every inflater; the first one carries the zlib header naming the SPDY dictionary.
 */
export class HeaderCompressor {
  private started = false;

  compress(block: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      const dictId = Buffer.alloc(4);
      dictId.writeUInt32BE(adler32(HEADER_DICTIONARY));
      // CMF 0x78 (deflate, 32 KiB window), FLG 0xBB (FDICT, FCHECK making the pair a multiple of 31)
      parts.push(Buffer.from([0x78, 0xbb]), dictId);
    }
    for (let off = 0; off < block.length; off += 0xffff) {
      const piece = block.subarray(off, off + 0xffff);
      const head = Buffer.alloc(5);
      head[0] = 0; // BFINAL 0, BTYPE 00 (stored): the stream goes on
      head.writeUInt16LE(piece.length, 1);
      head.writeUInt16LE(~piece.length & 0xffff, 3);
      parts.push(head, piece);
    }
    // The empty stored block a sync flush ends with: Go's inflater hands out what it decoded when
    // it reads this marker; without it, it reads past the frame and fails the session.
    parts.push(SYNC_FLUSH_MARKER);
    return Buffer.concat(parts);
  }
}

/**
 * Inflates the peer's header blocks: one zlib stream for the session, sync-flushed per block.
 * Inflation is asynchronous, so a block's headers are read from the inflated bytes as soon as a
 * whole header block is there (a block says its own length), not from the flush callback.
 */
export class HeaderDecompressor {
  private readonly inflate = zlib.createInflate({ dictionary: HEADER_DICTIONARY });
  private pending: Buffer = Buffer.alloc(0);
  private failure?: Error;
  private wake: () => void = () => {};

  constructor() {
    this.inflate.on('data', (c: Buffer) => {
      this.pending = Buffer.concat([this.pending, c]);
      this.wake();
    });
    this.inflate.on('error', (e) => {
      this.failure = new Error(`SPDY header block: ${e.message}`);
      this.wake();
    });
  }

  /** The headers of the next block. Call one at a time (await each): blocks share the stream. */
  async headers(block: Buffer): Promise<Record<string, string>> {
    this.inflate.write(block);
    this.inflate.flush(zlib.constants.Z_SYNC_FLUSH);
    for (;;) {
      const parsed = parseHeaderBlock(this.pending);
      if (parsed) {
        this.pending = this.pending.subarray(parsed.used);
        return parsed.headers;
      }
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  close(): void {
    this.inflate.close();
  }
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(payload.length, 4);
  head[4] = flags;
  return Buffer.concat([head, payload]);
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt32BE(data.length, 4);
  head[4] = flags;
  return Buffer.concat([head, data]);
}

function u32s(...ns: number[]): Buffer {
  const b = Buffer.alloc(4 * ns.length);
  ns.forEach((n, i) => b.writeUInt32BE(n >>> 0, 4 * i));
  return b;
}

/** One stream the peer opened. */
export interface SpdyStream {
  readonly id: number;
  readonly headers: Record<string, string>;
  /** data from the peer; `null` once the peer half-closed (FIN) */
  onData?: (chunk: Buffer | null) => void;
  /** the peer reset the stream or the session ended */
  onReset?: () => void;
  write(chunk: Buffer): void;
  /** half-closes our side (DATA with FIN) */
  end(): void;
  reset(status?: number): void;
}

interface StreamState extends SpdyStream {
  localDone: boolean;
  remoteDone: boolean;
}

/**
 * A server session over a byte stream: feed it the peer's bytes with `receive`; it writes frames
 * through `send` and announces each stream the peer opens (already answered with SYN_REPLY).
 */
export class SpdyServerSession {
  private buf: Buffer = Buffer.alloc(0);
  private readonly streams = new Map<number, StreamState>();
  private readonly inflater = new HeaderDecompressor();
  private readonly deflater = new HeaderCompressor();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly send: (bytes: Buffer) => void,
    private readonly onStream: (stream: SpdyStream) => void,
    private readonly onError: (message: string) => void = () => {},
  ) {}

  receive(chunk: Buffer): void {
    if (this.closed) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + len) break;
      const frame = this.buf.subarray(0, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      // header blocks inflate asynchronously: frames are handled strictly in order
      this.chain = this.chain.then(() => this.handle(frame)).catch((e: Error) => this.fail(e.message));
    }
  }

  /** Resolves once every frame received so far was handled. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Ends the session: GOAWAY, and every open stream is reset locally. */
  close(): void {
    if (this.closed) return;
    const last = Math.max(0, ...this.streams.keys());
    this.send(controlFrame(FRAME.GoAway, 0, u32s(last, 0)));
    this.shutdown();
  }

  private shutdown(): void {
    this.closed = true;
    this.inflater.close();
    for (const s of this.streams.values()) s.onReset?.();
    this.streams.clear();
  }

  private fail(message: string): void {
    this.onError(message);
    this.close();
  }

  private async handle(f: Buffer): Promise<void> {
    if (this.closed) return;
    const flags = f[4];
    const body = f.subarray(8);
    if (!(f[0] & 0x80)) return this.data(f.readUInt32BE(0) & 0x7fffffff, flags, body);
    const version = f.readUInt16BE(0) & 0x7fff;
    if (version !== VERSION) throw new Error(`SPDY version ${version} is not supported (3 is)`);
    switch (f.readUInt16BE(2)) {
      case FRAME.SynStream: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        const headers = await this.inflater.headers(body.subarray(10));
        return this.open(id, headers, (flags & FLAG_FIN) !== 0);
      }
      case FRAME.Headers:
        // later headers of a stream: kept in the shared zlib stream, otherwise unused
        await this.inflater.headers(body.subarray(4));
        return;
      case FRAME.RstStream: {
        const s = this.streams.get(body.readUInt32BE(0) & 0x7fffffff);
        if (!s) return;
        this.streams.delete(s.id);
        s.onReset?.();
        return;
      }
      case FRAME.Ping:
        this.send(f);
        return;
      case FRAME.GoAway:
        this.shutdown();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE: spdystream sends no flow control that needs an answer
        return;
    }
  }

  private open(id: number, headers: Record<string, string>, fin: boolean): void {
    if (this.streams.has(id) || id % 2 === 0) {
      this.send(controlFrame(FRAME.RstStream, 0, u32s(id, RST.ProtocolError)));
      return;
    }
    const session = this;
    const s: StreamState = {
      id,
      headers,
      localDone: false,
      remoteDone: fin,
      write(chunk) {
        if (this.localDone || session.closed) return;
        for (let off = 0; off < chunk.length; off += MAX_DATA) session.send(dataFrame(id, 0, chunk.subarray(off, off + MAX_DATA)));
      },
      end() {
        if (this.localDone || session.closed) return;
        this.localDone = true;
        session.send(dataFrame(id, FLAG_FIN, Buffer.alloc(0)));
        session.settle(this);
      },
      reset(status = RST.Cancel) {
        if (!session.streams.has(id) || session.closed) return;
        session.streams.delete(id);
        session.send(controlFrame(FRAME.RstStream, 0, u32s(id, status)));
      },
    };
    this.streams.set(id, s);
    this.send(controlFrame(FRAME.SynReply, 0, Buffer.concat([u32s(id), this.deflater.compress(encodeHeaderBlock({}))])));
    this.onStream(s);
    if (fin) s.onData?.(null);
  }

  private data(id: number, flags: number, body: Buffer): void {
    const s = this.streams.get(id);
    if (!s) return;
    if (body.length) s.onData?.(body);
    if (flags & FLAG_FIN) {
      s.remoteDone = true;
      s.onData?.(null);
      this.settle(s);
    }
  }

  /** A stream closed both ways is forgotten. */
  private settle(s: StreamState): void {
    if (s.localDone && s.remoteDone) this.streams.delete(s.id);
  }
}
