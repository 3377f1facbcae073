/**
 * A minimal DER (ITU-T X.690) writer: just the types an X.509 certificate (RFC 5280) and a PKCS#12
 * bundle (RFC 7292) need. node:crypto signs, hashes and encrypts but cannot assemble either
 * structure, and the project takes no dependency for it (node-forge is only a transitive package,
 * and the emulator's X.509 code is the tests' independent judge, so this tool keeps its own).
 *
 * Every function returns one complete TLV (tag, length, value) as a Buffer; structures are built
 * by nesting calls, e.g. `sequence(oid("2.5.4.3"), utf8String("connector"))`. Only low tag numbers
 * (< 31) occur in these formats, so the one-byte tag form is enough.
 */

/** The length octets: short form below 128, else long form (0x80 | number of bytes, big-endian). */
function lengthOctets(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`DER length ${length} is not a non-negative integer`);
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV with the given (one-byte) tag. */
export function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthOctets(value.length), value]);
}

export function sequence(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

/**
 * SET OF: DER (X.690 11.6) orders the elements by their encodings, so the bytes do not depend on
 * the order the caller listed them in (a MAC or signature over them must be reproducible).
 */
export function setOf(...items: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat([...items].sort(Buffer.compare)));
}

/**
 * INTEGER, non-negative only (serial numbers, versions, iteration counts, key lengths): the
 * fewest octets, with a leading 0x00 when the top bit is set so the value stays positive.
 */
export function integer(value: number | Buffer): Buffer {
  let bytes: Buffer;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`DER INTEGER ${value} is not a non-negative integer`);
    const digits: number[] = [];
    for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) digits.unshift(rest % 256);
    bytes = Buffer.from(digits.length === 0 ? [0] : digits);
  } else {
    // An unsigned big-endian magnitude: strip redundant leading zeros, keep at least one octet.
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start += 1;
    bytes = value.length === 0 ? Buffer.from([0]) : value.subarray(start);
  }
  return tlv(0x02, (bytes[0] & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

/** OBJECT IDENTIFIER from dotted form: the first two arcs in one octet, each arc base-128. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split(".").map((arc) => {
    if (!/^\d+$/.test(arc)) throw new RangeError(`'${dotted}' is not a dotted object identifier`);
    return Number(arc);
  });
  if (arcs.length < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39)) throw new RangeError(`'${dotted}' is not a valid object identifier`);
  const octets: number[] = [];
  for (const arc of [arcs[0] * 40 + arcs[1], ...arcs.slice(2)]) {
    const group: number[] = [arc % 128];
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) group.unshift(0x80 | (rest % 128));
    octets.push(...group);
  }
  return tlv(0x06, Buffer.from(octets));
}

export function nullValue(): Buffer {
  return Buffer.from([0x05, 0x00]);
}

export function boolean(value: boolean): Buffer {
  return tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
}

export function octetString(value: Buffer): Buffer {
  return tlv(0x04, value);
}

/** BIT STRING of whole octets (a signature, a public key): zero unused bits. */
export function bitString(value: Buffer): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), value]));
}

/**
 * A named-bit BIT STRING such as KeyUsage (bit 0 = the first, most significant bit). DER (X.690
 * 11.2.2) drops trailing zero bits, so `[0]` (digitalSignature) encodes as 03 02 07 80.
 */
export function namedBits(bits: readonly number[]): Buffer {
  if (bits.length === 0) return tlv(0x03, Buffer.from([0]));
  const highest = Math.max(...bits);
  const octets = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) octets[Math.floor(bit / 8)] |= 0x80 >> (bit % 8);
  const unused = 7 - (highest % 8);
  return tlv(0x03, Buffer.concat([Buffer.from([unused]), octets]));
}

export function utf8String(value: string): Buffer {
  return tlv(0x0c, Buffer.from(value, "utf8"));
}

/** UTF-16 big-endian code units, as BMPString and the PKCS#12 password encoding take them. */
export function utf16be(value: string): Buffer {
  return Buffer.from(value, "utf16le").swap16();
}

/** BMPString (UTF-16BE): the type PKCS#9 friendlyName is declared with. */
export function bmpString(value: string): Buffer {
  return tlv(0x1e, utf16be(value));
}

/**
 * An X.509 Time (RFC 5280 4.1.2.5): UTCTime for 1950-2049, GeneralizedTime from 2050 on, always
 * in UTC with seconds and no fraction (fractions are not allowed there).
 */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const year = date.getUTCFullYear();
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(digits.slice(2), "ascii"));
  if (year < 0 || year > 9999) throw new RangeError(`${iso} cannot be written as an X.509 time`);
  return tlv(0x18, Buffer.from(digits, "ascii"));
}

/** `[n] EXPLICIT`: a constructed context-specific tag around one complete TLV. */
export function explicit(tagNumber: number, inner: Buffer): Buffer {
  return tlv(0xa0 | tagNumber, inner);
}

/** `[n] IMPLICIT OCTET STRING`: the octets under a primitive context-specific tag. */
export function implicitOctets(tagNumber: number, value: Buffer): Buffer {
  return tlv(0x80 | tagNumber, value);
}

/** AlgorithmIdentifier with explicit NULL parameters (RSA and SHA-2 identifiers are written so). */
export function algorithmWithNull(dotted: string): Buffer {
  return sequence(oid(dotted), nullValue());
}

/** The PEM armour (RFC 7468): base64 in 64-character lines between BEGIN/END lines. */
export function pem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
