/**
 * The protobuf wire format, read-only: varints, length-delimited fields and skipping. Every overrun
 * or malformed value throws a BadRequest, so hostile bodies cannot crash the decoder.
 */

import { errors, type StatusError } from '../errors.js';

export const WIRE_VARINT = 0;
export const WIRE_LEN = 2;

/** A BadRequest for a body that is not valid protobuf (or not the message it claims to be). */
export function malformed(why: string): StatusError {
  return errors.badRequest(`unable to decode protobuf body: ${why}`);
}

/** Reads the fields of one message's bytes in order. */
export class Reader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** The next field's key: its number and wire type. */
  key(): { num: number; wireType: number } {
    const key = this.varint();
    const num = Number(key >> 3n);
    if (num === 0 || num > 0x1fffffff) throw malformed(`field number ${num}`);
    return { num, wireType: Number(key & 7n) };
  }

  /** An unsigned 64-bit varint. */
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) throw malformed('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    throw malformed('varint longer than 10 bytes');
  }

  /** The payload of a length-delimited field. */
  bytes(): Uint8Array {
    const len = this.varint();
    if (len > BigInt(this.buf.length - this.pos)) throw malformed('length-delimited field runs past the end');
    const out = this.buf.subarray(this.pos, this.pos + Number(len));
    this.pos += Number(len);
    return out;
  }

  /** Steps over a field of any wire type that carries a value. */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case 1:
        return this.advance(8);
      case WIRE_LEN:
        this.bytes();
        return;
      case 5:
        return this.advance(4);
      default:
        throw malformed(`unsupported wire type ${wireType}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.buf.length) throw malformed('fixed-width field runs past the end');
    this.pos += n;
  }
}
