/**
 * The building blocks under connector-cert against encodings fixed elsewhere: DER byte strings from
 * X.690 and RFC 5280's examples of the same values, and the PKCS#12 key derivation (RFC 7292
 * Appendix B) against vectors OpenSSL 3.0.19 computed (`openssl kdf -kdfopt digest:SHA256
 * -kdfopt hexpass:<BMP password> -kdfopt hexsalt:00..0f -kdfopt iter:N -kdfopt id:ID PKCS12KDF`).
 */
import { bmpString, integer, namedBits, oid, octetString, sequence, setOf, time, tlv, utf16be } from "../../scripts/connectorCert/der";
import { pkcs12Kdf } from "../../scripts/connectorCert/pkcs12";

const hex = (buffer: Buffer) => buffer.toString("hex");

describe("the DER writer", () => {
  it("writes INTEGERs minimal and positive", () => {
    expect(hex(integer(0))).toBe("020100");
    expect(hex(integer(3))).toBe("020103");
    expect(hex(integer(127))).toBe("02017f");
    expect(hex(integer(128))).toBe("02020080");
    expect(hex(integer(10000))).toBe("02022710");
    expect(hex(integer(Buffer.from("0000ff", "hex")))).toBe("020200ff");
    expect(() => integer(-1)).toThrow(RangeError);
  });

  it("writes OBJECT IDENTIFIERs with base-128 arcs", () => {
    expect(hex(oid("1.2.840.113549.1.1.11"))).toBe("06092a864886f70d01010b"); // sha256WithRSAEncryption
    expect(hex(oid("2.5.29.15"))).toBe("0603551d0f"); // keyUsage
    expect(hex(oid("2.16.840.1.101.3.4.1.42"))).toBe("060960864801650304012a"); // aes256-CBC
  });

  it("uses the long length form from 128 bytes", () => {
    expect(hex(octetString(Buffer.alloc(127))).slice(0, 4)).toBe("047f");
    expect(hex(octetString(Buffer.alloc(128))).slice(0, 6)).toBe("048180");
    expect(hex(octetString(Buffer.alloc(300))).slice(0, 8)).toBe("0482012c");
  });

  it("writes KeyUsage digitalSignature without trailing zero bits (03 02 07 80)", () => {
    expect(hex(namedBits([0]))).toBe("03020780");
    expect(hex(namedBits([0, 2]))).toBe("030205a0"); // digitalSignature + keyEncipherment
  });

  it("sorts SET OF by encoding, whatever order it is given", () => {
    const a = tlv(0x04, Buffer.from([2]));
    const b = tlv(0x02, Buffer.from([9]));
    expect(hex(setOf(a, b))).toBe(hex(setOf(b, a)));
    expect(hex(setOf(a, b))).toBe("3106020109040102");
  });

  it("writes UTCTime until 2049 and GeneralizedTime from 2050 (RFC 5280 4.1.2.5)", () => {
    expect(time(new Date("2049-12-31T23:59:59.999Z")).toString("latin1")).toBe("\x17\x0d491231235959Z");
    expect(time(new Date("2050-01-01T00:00:00Z")).toString("latin1")).toBe("\x18\x0f20500101000000Z");
  });

  it("writes BMPString as UTF-16 big-endian", () => {
    expect(hex(utf16be("Aé"))).toBe("004100e9");
    expect(hex(bmpString("ab"))).toBe("1e0400610062");
    expect(hex(sequence())).toBe("3000");
  });
});

describe("the PKCS#12 key derivation (RFC 7292 Appendix B.2, SHA-256)", () => {
  const password = Buffer.concat([utf16be("correct horse battery"), Buffer.alloc(2)]);
  const salt = Buffer.from("000102030405060708090a0b0c0d0e0f", "hex");

  it("gives OpenSSL's MAC key (ID 3, 2048 iterations)", () => {
    expect(hex(pkcs12Kdf(password, salt, 3, 2048, 32))).toBe("305c13ca283d086e6ee1617b0d6adcd2fbed50459ce9b44cec5792f52cb5bd8b");
  });

  it("gives OpenSSL's output over several hash blocks (ID 1, 80 bytes: the I_j update runs)", () => {
    expect(hex(pkcs12Kdf(password, salt, 1, 3, 80))).toBe(
      "aa643ce4c1414bc472bce290e1a7fdd66acfa41acf50536d49444a5bd87a7c880646ca2d549bf36ec01db93d5a74f74459a19f14c4d0d7788c22f7267bce335ab7bf9e7606e4f8a03b3489baeb47e516",
    );
  });
});
