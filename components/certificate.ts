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
/** Every PEM block's label, whatever it is (CERTIFICATE, PRIVATE KEY, OPENSSH PRIVATE KEY, DSA PRIVATE KEY…). */
const PEM_LABELS = /-----BEGIN ([^-\r\n]+)-----/g;

/** A problem with the certificate, phrased for the user; the caller adds the setting name. */
export class CertificateError extends Error {}

/** Parse and check a PEM public certificate. `now` decides expiry, so tests can fix the clock. */
export function readCertificate(pemText: string, now: Date): CertificateInfo {
  // Only certificates may be stored: a private key of any kind (RSA, EC, DSA, PKCS#8, encrypted,
  // OpenSSH) must stay with the connector, and any other block is not what Entra takes.
  const labels = [...pemText.matchAll(PEM_LABELS)].map((match) => match[1].trim());
  const keyLabel = labels.find((label) => /PRIVATE KEY/.test(label));
  if (keyLabel) {
    throw new CertificateError(
      `contains a private key (-----BEGIN ${keyLabel}-----). Give only the public certificate (-----BEGIN CERTIFICATE-----); ` +
        "the private key stays with the connector and must never be stored in stack config.",
    );
  }
  const otherLabel = labels.find((label) => label !== "CERTIFICATE");
  if (otherLabel) {
    throw new CertificateError(
      `contains a -----BEGIN ${otherLabel}----- block. Give only the connector's public certificate (-----BEGIN CERTIFICATE-----).`,
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
  if (notBefore.getTime() > now.getTime()) {
    // Entra accepts the upload, then refuses every assertion signed with it (AADSTS700027) until then.
    throw new CertificateError(
      `is not valid before ${notBefore.toISOString()}. Use a certificate that is valid now, or set it once that date has passed.`,
    );
  }
  if (notAfter.getTime() <= now.getTime()) {
    throw new CertificateError(`expired on ${notAfter.toISOString()}. Issue a new certificate for the connector and set it again.`);
  }
  return {
    thumbprintSha1: certificate.fingerprint.replace(/:/g, "").toUpperCase(),
    notBefore,
    notAfter,
    subject: certificate.subject,
    pem,
  };
}
