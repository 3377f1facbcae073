/**
 * A PKCS#12 (RFC 7292) keystore with one entry: the connector's private key and its certificate,
 * encrypted and MAC'd the way OpenSSL 3 writes by default (`openssl pkcs12 -export`):
 *
 *   - the key as a pkcs8ShroudedKeyBag and the certificate SafeContents as EncryptedData, both
 *     with PBES2 (RFC 8018 6.2): PBKDF2 with HMAC-SHA256 (RFC 8018 5.2, A.2), a 16-byte random salt
 *     each, and AES-256-CBC with a random IV (RFC 8018 B.2.5 via NIST's OID);
 *   - MacData with HMAC-SHA256, its key from the PKCS#12 key derivation (RFC 7292 Appendix B.2,
 *     ID = 3), the password as a BMPString (UTF-16BE) with two trailing zero bytes (B.1);
 *   - both bags carry the same friendlyName (the alias Java's keytool and Informatica's
 *     `Keystore_Alias` select the entry by) and localKeyId (what pairs key and certificate).
 *
 * Java: PKCS#12 files with these algorithms need `HmacPBESHA256` for the MAC, which JDK 12 added
 * and Oracle backported to JDK 11.0.12, 8u301 and 7u311 (CSR JDK-8267701; JDK-8228481 made them
 * Java's own default in JDK 16). Some OpenJDK 8 builds of 2022 still lacked it and report
 * "keystore password was incorrect" (JDK-8278989). JDK 17, on this project's machines, reads them.
 * On an older Java, convert with a newer keytool to JKS (see the README subsection).
 *
 * The password must be printable ASCII (the CLI enforces it): PBKDF2 takes it as UTF-8 and the MAC
 * as UTF-16, and implementations have disagreed about non-ASCII passwords in exactly that spot.
 */
import crypto from "node:crypto";
import { algorithmWithNull, bmpString, explicit, implicitOctets, integer, octetString, oid, sequence, setOf, utf16be } from "./der";

const OID = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  pkcs8ShroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  friendlyName: "1.2.840.113549.1.9.20",
  localKeyId: "1.2.840.113549.1.9.21",
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  hmacWithSHA256: "1.2.840.113549.2.9",
  aes256Cbc: "2.16.840.1.101.3.4.1.42",
  sha256: "2.16.840.1.101.3.4.2.1",
} as const;

/**
 * Above OpenSSL 3's default of 2048 (RFC 7292 and RFC 8018 ask for at least 1000), at Java's own
 * default since JDK 16 (10000), and far below the 5,000,000 Java refuses to read.
 */
export const DEFAULT_ITERATIONS = 10_000;

export interface Pkcs12Request {
  certificateDer: Buffer;
  privateKeyPkcs8Der: Buffer;
  password: string;
  /** The alias: friendlyName on both bags. */
  friendlyName: string;
  iterations?: number;
}

/** PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC: the AlgorithmIdentifier and the ciphertext. */
function pbes2Encrypt(plaintext: Buffer, password: string, iterations: number): { algorithm: Buffer; ciphertext: Buffer } {
  const salt = crypto.randomBytes(16);
  const iv = crypto.randomBytes(16);
  const key = crypto.pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
  const cipher = crypto.createCipheriv("aes-256-cbc", key, iv); // PKCS#7 padding, as RFC 8018 B.2.5 asks
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const algorithm = sequence(
    oid(OID.pbes2),
    sequence(
      // PBKDF2-params (RFC 8018 A.2): keyLength left out, AES-256 fixes it (as OpenSSL writes it).
      sequence(oid(OID.pbkdf2), sequence(octetString(salt), integer(iterations), algorithmWithNull(OID.hmacWithSHA256))),
      sequence(oid(OID.aes256Cbc), octetString(iv)),
    ),
  );
  return { algorithm, ciphertext };
}

/**
 * RFC 7292 Appendix B.2: the PKCS#12 key derivation, here with SHA-256 (u = 32 output bytes,
 * v = 64 block bytes). `password` is already the BMPString form of B.1 (with its two zero bytes).
 */
export function pkcs12Kdf(password: Buffer, salt: Buffer, id: number, iterations: number, length: number): Buffer {
  const u = 32;
  const v = 64;
  const repeatTo = (source: Buffer): Buffer => {
    if (source.length === 0) return Buffer.alloc(0);
    const size = v * Math.ceil(source.length / v);
    const out = Buffer.alloc(size);
    for (let i = 0; i < size; i += 1) out[i] = source[i % source.length];
    return out;
  };
  const diversifier = Buffer.alloc(v, id); // D: the ID byte repeated to one block
  const input = Buffer.concat([repeatTo(salt), repeatTo(password)]); // I = S || P
  const blocks: Buffer[] = [];
  for (let produced = 0; produced < length; produced += u) {
    let a = crypto.createHash("sha256").update(diversifier).update(input).digest();
    for (let round = 1; round < iterations; round += 1) a = crypto.createHash("sha256").update(a).digest();
    blocks.push(a);
    // I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block of I, B being A repeated to v bytes.
    const b = repeatTo(a);
    for (let offset = 0; offset < input.length; offset += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k -= 1) {
        const sum = input[offset + k] + b[k] + carry;
        input[offset + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** B.1: the password as a BMPString, big-endian, followed by two zero bytes. */
function bmpPassword(password: string): Buffer {
  return Buffer.concat([utf16be(password), Buffer.alloc(2)]);
}

/** PKCS12Attribute ::= SEQUENCE { attrId, attrValues SET OF } */
function attribute(id: string, value: Buffer): Buffer {
  return sequence(oid(id), setOf(value));
}

function safeBag(bagId: string, value: Buffer, attributes: Buffer[]): Buffer {
  return sequence(oid(bagId), explicit(0, value), setOf(...attributes));
}

/** ContentInfo of type data: the content as an OCTET STRING under [0] EXPLICIT. */
function dataContentInfo(content: Buffer): Buffer {
  return sequence(oid(OID.data), explicit(0, octetString(content)));
}

export function buildPkcs12(request: Pkcs12Request): Buffer {
  const iterations = request.iterations ?? DEFAULT_ITERATIONS;
  // The key id OpenSSL and Java write: SHA-1 of the certificate. What matters is that both bags agree.
  const localKeyId = crypto.createHash("sha1").update(request.certificateDer).digest();
  const attributes = [attribute(OID.friendlyName, bmpString(request.friendlyName)), attribute(OID.localKeyId, octetString(localKeyId))];

  // The certificate: CertBag in a SafeContents that is itself encrypted (EncryptedData, version 0).
  const certBag = safeBag(OID.certBag, sequence(oid(OID.x509Certificate), explicit(0, octetString(request.certificateDer))), attributes);
  const certSafe = pbes2Encrypt(sequence(certBag), request.password, iterations);
  const certContentInfo = sequence(
    oid(OID.encryptedData),
    explicit(0, sequence(integer(0), sequence(oid(OID.data), certSafe.algorithm, implicitOctets(0, certSafe.ciphertext)))),
  );

  // The key: EncryptedPrivateKeyInfo in a shrouded key bag, in a plain data SafeContents (the bag
  // itself is encrypted, so wrapping it twice would add nothing, and OpenSSL does not).
  const shrouded = pbes2Encrypt(request.privateKeyPkcs8Der, request.password, iterations);
  const keyBag = safeBag(OID.pkcs8ShroudedKeyBag, sequence(shrouded.algorithm, octetString(shrouded.ciphertext)), attributes);
  const keyContentInfo = dataContentInfo(sequence(keyBag));

  const authenticatedSafe = sequence(certContentInfo, keyContentInfo);

  // MacData: HMAC-SHA256 over the AuthenticatedSafe octets (the content of the outer data ContentInfo).
  const macSalt = crypto.randomBytes(16);
  const macKey = pkcs12Kdf(bmpPassword(request.password), macSalt, 3, iterations, 32);
  const mac = crypto.createHmac("sha256", macKey).update(authenticatedSafe).digest();
  const macData = sequence(sequence(algorithmWithNull(OID.sha256), octetString(mac)), octetString(macSalt), integer(iterations));

  return sequence(integer(3), dataContentInfo(authenticatedSafe), macData);
}
