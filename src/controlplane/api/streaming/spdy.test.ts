import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { controlFrame, dataFrame, encodeHeaderBlock, parseHeaderBlock, FLAG_FIN, FRAME, HEADER_DICTIONARY, HeaderCompressor, SpdyServerSession, type SpdyStream } from './spdy.js';

/** A client-side compressor as Go's framer runs it: one zlib stream, sync-flushed per block. */
function goLikeCompressor() {
  const deflate = zlib.createDeflate({ dictionary: HEADER_DICTIONARY, level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  return (block: Buffer) =>
    new Promise<Buffer>((resolve) => {
      deflate.write(block);
      deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve(Buffer.concat(out.splice(0))));
    });
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

async function synStream(compress: (b: Buffer) => Promise<Buffer>, id: number, headers: Record<string, string>, flags = 0): Promise<Buffer> {
  return controlFrame(FRAME.SynStream, flags, Buffer.concat([u32(id), u32(0), Buffer.from([0, 0]), await compress(encodeHeaderBlock(headers))]));
}

describe('SPDY/3 header blocks', () => {
  it('the dictionary is the 1423 bytes of the spec', () => {
    expect(HEADER_DICTIONARY.length).toBe(1423);
    expect(HEADER_DICTIONARY.subarray(0, 11).toString('latin1')).toBe('\0\0\0\x07options');
    expect(HEADER_DICTIONARY.subarray(-7).toString('latin1')).toBe(',enq=0.');
  });

  it('round-trips a header block', () => {
    const h = { streamtype: 'data', port: '8080', requestid: '0' };
    const block = encodeHeaderBlock(h);
    expect(parseHeaderBlock(Buffer.concat([block, Buffer.from('next')]))).toEqual({ headers: h, used: block.length });
    expect(parseHeaderBlock(block.subarray(0, block.length - 1))).toBeUndefined();
  });

  it('compresses blocks that one inflate stream with the dictionary reads in order', () => {
    const c = new HeaderCompressor();
    const blocks = [encodeHeaderBlock({}), encodeHeaderBlock({ a: 'b' }), encodeHeaderBlock({})];
    const wire = Buffer.concat(blocks.map((b) => c.compress(b)));
    const out = zlib.inflateSync(wire, { dictionary: HEADER_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    expect(out).toEqual(Buffer.concat(blocks));
    // every block ends in the sync-flush marker Go's inflater needs to hand out the block
    expect(c.compress(encodeHeaderBlock({})).subarray(-5)).toEqual(Buffer.from([0, 0, 0, 0xff, 0xff]));
  });
});

describe('SpdyServerSession', () => {
  async function session() {
    const sent: Buffer[] = [];
    const streams: SpdyStream[] = [];
    const data: (string | null)[] = [];
    const errors: string[] = [];
    const s = new SpdyServerSession((b) => sent.push(b), (st) => {
      streams.push(st);
      st.onData = (c) => data.push(c === null ? null : c.toString());
    }, (m) => errors.push(m));
    return { s, sent, streams, data, errors, settle: () => s.settled() };
  }

  it('announces streams with their headers, answers SYN_REPLY and delivers data and FIN', async () => {
    const { s, sent, streams, data, errors, settle } = await session();
    const compress = goLikeCompressor();
    const wire = Buffer.concat([
      await synStream(compress, 1, { streamtype: 'error', port: '80', requestid: '0' }),
      await synStream(compress, 3, { streamtype: 'data', port: '80', requestid: '0' }),
      dataFrame(3, 0, Buffer.from('GET / HTTP/1.1\r\n')),
      dataFrame(3, FLAG_FIN, Buffer.alloc(0)),
    ]);
    // bytes arrive split anywhere, as WebSocket messages may split them
    for (let i = 0; i < wire.length; i += 7) s.receive(wire.subarray(i, i + 7));
    await settle();
    expect(errors).toEqual([]);
    expect(streams.map((x) => [x.id, x.headers.streamtype, x.headers.port])).toEqual([
      [1, 'error', '80'],
      [3, 'data', '80'],
    ]);
    expect(data).toEqual(['GET / HTTP/1.1\r\n', null]);
    const replies = sent.filter((f) => f.readUInt16BE(2) === FRAME.SynReply && f[0] & 0x80);
    expect(replies.map((f) => f.readUInt32BE(8))).toEqual([1, 3]);
  });

  it('writes DATA frames and a FIN for a stream, echoes PING and answers GOAWAY on close', async () => {
    const { s, sent, streams, settle } = await session();
    s.receive(await synStream(goLikeCompressor(), 1, { streamtype: 'data', port: '80', requestid: '1' }));
    await settle();
    sent.length = 0;
    streams[0].write(Buffer.from('hello'));
    streams[0].end();
    expect(sent[0]).toEqual(dataFrame(1, 0, Buffer.from('hello')));
    expect(sent[1]).toEqual(dataFrame(1, FLAG_FIN, Buffer.alloc(0)));
    const ping = controlFrame(FRAME.Ping, 0, u32(7));
    s.receive(ping);
    await settle();
    expect(sent[2]).toEqual(ping);
    s.close();
    expect(sent[3].readUInt16BE(2)).toBe(FRAME.GoAway);
  });

  it('resets a stream the peer resets and refuses a reused stream id', async () => {
    const { s, sent, streams, settle } = await session();
    const compress = goLikeCompressor();
    let reset = false;
    s.receive(await synStream(compress, 1, { streamtype: 'data', port: '80', requestid: '1' }));
    await settle();
    streams[0].onReset = () => (reset = true);
    s.receive(controlFrame(FRAME.RstStream, 0, Buffer.concat([u32(1), u32(5)])));
    s.receive(await synStream(compress, 5, { streamtype: 'data', port: '80', requestid: '2' }));
    s.receive(await synStream(compress, 5, { streamtype: 'data', port: '80', requestid: '3' }));
    await settle();
    expect(reset).toBe(true);
    const rst = sent.filter((f) => f[0] & 0x80 && f.readUInt16BE(2) === FRAME.RstStream);
    expect(rst.map((f) => f.readUInt32BE(8))).toEqual([5]);
  });
});
