/**
 * A scrape's body as segments (a family's header, or a block of its lines) that keep their bytes, their compressed form and
 * their checksum until their text changes. A gzip answer is one gzip member whose deflate stream is the
 * segments' compressed forms one after another: each is compressed on its own and ends on a byte boundary
 * without closing the stream (a sync flush), so unchanged lines are never compressed twice, and the checksum
 * of the whole is combined from the segments' checksums instead of being computed over two megabytes.
 */
import * as zlib from 'node:zlib';

/** Fast enough to compress a changed family at each scrape; the text compresses about 20:1 all the same. */
const LEVEL = 1;

export interface Segment {
  /** The text in UTF-8. */
  readonly bytes: Buffer;
  /** Raw deflate, sync-flushed (no final block): segments can follow each other in one stream. */
  readonly deflated: Buffer;
  /** CRC-32 of `bytes`. */
  readonly crc: number;
}

export function segmentOf(text: string): Segment {
  const bytes = Buffer.from(text, 'utf8');
  let deflated: Buffer | null = null;
  let crc: number | null = null;
  return {
    bytes,
    get deflated() {
      deflated ??= zlib.deflateRawSync(bytes, { level: LEVEL, finishFlush: zlib.constants.Z_SYNC_FLUSH });
      return deflated;
    },
    get crc() {
      crc ??= crc32(bytes);
      return crc;
    },
  };
}

/** Entries per block of {@link BlockedLines}. */
const BLOCK = 64;

/**
 * A family's sample lines, an entry (a series, or a table's lines) each, in blocks of {@link BLOCK} entries that
 * keep their segment until one of their entries changes: a scrape after a few refreshes formats, encodes and
 * compresses a few blocks, not the family.
 */
export class BlockedLines {
  readonly #entries: string[] = [];
  readonly #blocks: Array<Segment | null> = [];

  get length(): number {
    return this.#entries.length;
  }

  /** Sets entry `index` (at most `length`: entries are appended in order). */
  set(index: number, text: string): void {
    if (this.#entries[index] === text) return;
    this.#entries[index] = text;
    this.#blocks[Math.floor(index / BLOCK)] = null;
  }

  /** Keeps the first `length` entries. */
  truncate(length: number): void {
    if (length >= this.#entries.length) return;
    this.#entries.length = length;
    this.#blocks.length = Math.ceil(length / BLOCK);
    if (length % BLOCK !== 0) this.#blocks[this.#blocks.length - 1] = null;
  }

  segments(): Segment[] {
    const out: Segment[] = [];
    for (let b = 0; b * BLOCK < this.#entries.length; b++) {
      let block = this.#blocks[b] ?? null;
      if (block === null) {
        block = segmentOf(this.#entries.slice(b * BLOCK, (b + 1) * BLOCK).join(''));
        this.#blocks[b] = block;
      }
      out.push(block);
    }
    return out;
  }
}

/** The segments one after another, uncompressed. */
export function plainBody(segments: readonly Segment[]): Buffer {
  return Buffer.concat(segments.map((s) => s.bytes));
}

/** A gzip header: deflate, no name or comment, no time, unknown OS. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
/** An empty final block with fixed codes: it ends the deflate stream. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

/** The segments as one gzip member (RFC 1952). */
export function gzipBody(segments: readonly Segment[]): Buffer {
  let crc = 0;
  let size = 0;
  for (const s of segments) {
    crc = crc32Combine(crc, s.crc, s.bytes.length);
    size += s.bytes.length;
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4);
  return Buffer.concat([GZIP_HEADER, ...segments.map((s) => s.deflated), FINAL_BLOCK, trailer]);
}

/** CRC-32's polynomial (IEEE 802.3, as gzip uses it), bits reversed: bit 31 stands for x^0, bit 0 for x^31. */
const POLY = 0xedb88320;

const TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? POLY ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** zlib's own CRC-32 where Node has it (20.15 and later), else the table below. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

export function crc32(bytes: Uint8Array): number {
  if (nativeCrc32 !== undefined) return nativeCrc32(bytes) >>> 0;
  return tableCrc32(bytes);
}

export function tableCrc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = (TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** a(x)·b(x) modulo the polynomial, both in the reversed representation. */
function multiply(a: number, b: number): number {
  let product = 0;
  let shifted = b >>> 0;
  for (let bit = 31; bit >= 0; bit--) {
    if ((a >>> bit) & 1) product ^= shifted;
    // shifted·x: one place towards x^31; an x^32 term folds back in as the polynomial's lower terms.
    shifted = shifted & 1 ? (shifted >>> 1) ^ POLY : shifted >>> 1;
  }
  return product >>> 0;
}

/** x^(2^k) modulo the polynomial, for k = 0…63. */
const X_POWERS: number[] = [];
for (let k = 0, p = 0x40000000; k < 64; k++, p = multiply(p, p)) X_POWERS.push(p);

/** x^(8n) modulo the polynomial: n zero bytes appended multiply a checksum by it. */
function shiftBy(bytes: number): number {
  let result = 0x80000000;
  let bits = bytes * 8;
  for (let k = 0; bits > 0; k++, bits = Math.floor(bits / 2)) {
    if (bits % 2 === 1) result = multiply(result, X_POWERS[k] as number);
  }
  return result;
}

/** The CRC-32 of A followed by B, from the CRC-32 of each and B's length. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multiply(shiftBy(lengthB), crcA) ^ crcB) >>> 0;
}
