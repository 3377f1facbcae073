/**
 * RS256 signing keys as Entra publishes them: each key has a self-signed certificate (`x5c`) and
 * its `kid` equals its `x5t`, the base64url SHA-1 thumbprint of that certificate.
 */
import crypto from "node:crypto";
import { certificateDer, generateRsaKeyPair, issueCertificate, sha1Thumbprint } from "./x509";

export interface SigningKey {
  kid: string;
  x5t: string;
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
  certDer: Buffer;
  /** Uppercase hex SHA-1 thumbprint (Graph's `preferredTokenSigningKeyThumbprint`). */
  thumbprintHex: string;
  notBefore: Date;
  notAfter: Date;
}

export interface PublishedJwk {
  kty: "RSA";
  use: "sig";
  kid: string;
  x5t: string;
  n: string;
  e: string;
  x5c: string[];
  issuer?: string;
}

export function createSigningKey(commonName: string, notBefore: Date, notAfter: Date): SigningKey {
  const pair = generateRsaKeyPair();
  const certPem = issueCertificate({
    commonName,
    publicKeyPem: pair.publicKeyPem,
    subjectPrivateKeyPem: pair.privateKeyPem,
    notBefore,
    notAfter,
  });
  return signingKeyFromParts(crypto.createPrivateKey(pair.privateKeyPem), certificateDer(certPem), notBefore, notAfter);
}

/** A key from its private half and its certificate (a new key, or one restored from a snapshot). */
export function signingKeyFromParts(privateKey: crypto.KeyObject, certDer: Buffer, notBefore: Date, notAfter: Date): SigningKey {
  const thumbprint = sha1Thumbprint(certDer);
  const x5t = thumbprint.toString("base64url");
  return {
    kid: x5t,
    x5t,
    privateKey,
    publicKey: crypto.createPublicKey(privateKey),
    certDer,
    thumbprintHex: thumbprint.toString("hex").toUpperCase(),
    notBefore,
    notAfter,
  };
}

export function publishedJwk(key: SigningKey, issuer?: string): PublishedJwk {
  const jwk = key.publicKey.export({ format: "jwk" }) as { n: string; e: string };
  return {
    kty: "RSA",
    use: "sig",
    kid: key.kid,
    x5t: key.x5t,
    n: jwk.n,
    e: jwk.e,
    // x5c is standard base64 (not base64url) DER, as in Entra's documents.
    x5c: [key.certDer.toString("base64")],
    ...(issuer ? { issuer } : {}),
  };
}
