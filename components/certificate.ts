/**
 * Reads the public certificate a connector will sign client assertions with. Entra stores only the
 * public part; the thumbprint we compute is the one Entra shows and the connector is configured with.
 */
import { X509Certificate } from "node:crypto";

export interface CertificateInfo {
  /** SHA-1 of the DER encoding, uppercase hex without separators (as the Entra portal shows it). */
  thumbprintSha1: string;
  notBefore: Date;
  notAfter: Date;
  subject: string;
  /** The PEM with surrounding whitespace removed, as handed to Entra. */
  pem: string;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const PEM_PRIVATE_KEY = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

/** A problem with the certificate, phrased for the user; the caller adds the setting name. */
export class CertificateError extends Error {}

/** Parse and check a PEM public certificate. `now` decides expiry, so tests can fix the clock. */
export function readCertificate(pemText: string, now: Date): CertificateInfo {
  if (PEM_PRIVATE_KEY.test(pemText)) {
    throw new CertificateError(
      "contains a private key. Give only the public certificate (-----BEGIN CERTIFICATE-----); " +
        "the private key stays with the connector and must never be stored in stack config.",
    );
  }
  const blocks = pemText.match(PEM_CERTIFICATE);
  if (!blocks) {
    throw new CertificateError(
      "is not a PEM certificate (expected a -----BEGIN CERTIFICATE----- block). " +
        "Convert a .cer/.crt in DER form with `openssl x509 -inform der -in cert.cer -out cert.pem`.",
    );
  }
  if (blocks.length > 1) {
    throw new CertificateError("holds more than one certificate. Give only the connector's own (leaf) certificate.");
  }
  const pem = blocks[0];
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch (error) {
    throw new CertificateError(`could not be parsed (${(error as Error).message}). Export the certificate again as PEM.`);
  }
  const notBefore = new Date(certificate.validFrom);
  const notAfter = new Date(certificate.validTo);
  if (notAfter.getTime() <= now.getTime()) {
    throw new CertificateError(
      `expired on ${notAfter.toISOString()}. Issue a new certificate for the connector and set it again.`,
    );
  }
  return {
    thumbprintSha1: certificate.fingerprint.replace(/:/g, "").toUpperCase(),
    notBefore,
    notAfter,
    subject: certificate.subject,
    pem,
  };
}
