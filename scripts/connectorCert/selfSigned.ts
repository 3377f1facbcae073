/**
 * The connector's key pair and self-signed X.509 v3 certificate (RFC 5280), built with node:crypto
 * (key generation, SHA-256 with RSA signature) and the DER writer beside this file. Entra ID only
 * needs the certificate's public key and its SHA-1 thumbprint; it never checks a chain, so a
 * self-signed certificate is what Microsoft documents for client-credential assertions.
 */
import crypto, { type KeyObject, X509Certificate } from "node:crypto";
import {
  algorithmWithNull,
  bitString,
  boolean,
  explicit,
  integer,
  namedBits,
  octetString,
  oid,
  pem,
  sequence,
  setOf,
  time,
  utf8String,
} from "./der";

export const KEY_SIZES = [2048, 3072] as const;
export type KeySize = (typeof KEY_SIZES)[number];

const OID = {
  sha256WithRSAEncryption: "1.2.840.113549.1.1.11",
  commonName: "2.5.4.3",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  basicConstraints: "2.5.29.19",
} as const;

/** KeyUsage bit 0 (RFC 5280 4.2.1.3): signing client assertions is all the key is for. */
const DIGITAL_SIGNATURE = 0;

export interface SelfSignedRequest {
  commonName: string;
  keySize: KeySize;
  notBefore: Date;
  notAfter: Date;
}

export interface SelfSigned {
  certificateDer: Buffer;
  certificatePem: string;
  /** PKCS#8 PrivateKeyInfo, DER: what a PKCS#12 shrouded key bag encrypts. */
  privateKeyPkcs8Der: Buffer;
  /** The same key as unencrypted PKCS#8 PEM ("PRIVATE KEY"). */
  privateKeyPem: string;
  /** SHA-1 of the certificate's DER, uppercase hex: Entra's thumbprint (customKeyIdentifier). */
  thumbprintSha1: string;
  notBefore: Date;
  notAfter: Date;
}

/** Name ::= RDNSequence with the single RDN CN=<commonName> (UTF8String, as RFC 5280 4.1.2.6 asks of new certificates). */
function commonNameOnly(commonName: string): Buffer {
  return sequence(setOf(sequence(oid(OID.commonName), utf8String(commonName))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

/**
 * A positive 16-octet serial (RFC 5280 4.1.2.2: positive, at most 20 octets, unique per issuer):
 * random, with the top bit cleared (positive) and the next one set, so the encoding is always
 * exactly 16 octets.
 */
function randomSerial(): Buffer {
  const serial = crypto.randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x40;
  return serial;
}

/** X.509 times have whole seconds: the dates reported are the ones actually in the certificate. */
function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

export function createSelfSigned(request: SelfSignedRequest): SelfSigned {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: request.keySize });
  const notBefore = wholeSeconds(request.notBefore);
  const notAfter = wholeSeconds(request.notAfter);
  const name = commonNameOnly(request.commonName);
  const signatureAlgorithm = algorithmWithNull(OID.sha256WithRSAEncryption);
  const spki = publicKey.export({ type: "spki", format: "der" });
  // Method 1 of RFC 5280 4.2.1.2: SHA-1 of the subjectPublicKey BIT STRING's value, which for RSA
  // is exactly the PKCS#1 RSAPublicKey encoding.
  const keyIdentifier = crypto
    .createHash("sha1")
    .update(publicKey.export({ type: "pkcs1", format: "der" }))
    .digest();

  const tbs = sequence(
    explicit(0, integer(2)), // v3: extensions follow
    integer(randomSerial()),
    signatureAlgorithm,
    name, // issuer: self-signed, so the subject
    sequence(time(notBefore), time(notAfter)),
    name,
    spki,
    explicit(
      3,
      sequence(
        // CA:false (the empty SEQUENCE: cA defaults to FALSE and DER omits defaults): this key
        // must never be taken for an issuer.
        extension(OID.basicConstraints, true, sequence()),
        extension(OID.keyUsage, true, namedBits([DIGITAL_SIGNATURE])),
        extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier)),
      ),
    ),
  );
  const signature = crypto.sign("sha256", tbs, privateKey); // RSASSA-PKCS1-v1_5, as sha256WithRSAEncryption means
  const certificateDer = sequence(tbs, signatureAlgorithm, bitString(signature));

  assertConsistent(certificateDer, privateKey, publicKey);
  return {
    certificateDer,
    certificatePem: pem("CERTIFICATE", certificateDer),
    privateKeyPkcs8Der: privateKey.export({ type: "pkcs8", format: "der" }),
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    thumbprintSha1: crypto.createHash("sha1").update(certificateDer).digest("hex").toUpperCase(),
    notBefore,
    notAfter,
  };
}

/**
 * OpenSSL (through node:crypto) reads the certificate back, finds its own signature valid and its
 * key the generated one: a fault in the DER writer stops here, before any file is written.
 */
function assertConsistent(der: Buffer, privateKey: KeyObject, publicKey: KeyObject): void {
  const parsed = new X509Certificate(der);
  if (!parsed.verify(publicKey) || !parsed.checkPrivateKey(privateKey)) {
    throw new Error("the generated certificate does not verify with its own key (a bug in scripts/connectorCert)");
  }
}
