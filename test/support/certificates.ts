/**
 * Test certificates generated at run time (no key material is committed): a self-signed RSA
 * certificate and its key, in the forms Entra, @azure/identity and the project's code take.
 */
import crypto from "node:crypto";
import { certificateDer, generateRsaKeyPair, issueCertificate, sha1Thumbprint } from "../../emulator/x509";

export interface TestCertificateOptions {
  commonName: string;
  /** Default: one hour ago. */
  notBefore?: Date;
  /** Default: one year after notBefore. */
  notAfter?: Date;
}

export interface TestCertificate {
  certPem: string;
  /** PKCS#8 PEM ("PRIVATE KEY"). */
  keyPem: string;
  /** SHA-1 of the DER, uppercase hex: Entra's thumbprint / customKeyIdentifier. */
  thumbprintSha1Hex: string;
  /** Base64 DER: the `key` of a Graph keyCredential. */
  certDerBase64: string;
  /** Certificate followed by its key: what ClientCertificateCredential (`certificate`) takes. */
  certificateWithKeyPem: string;
}

export function generateTestCertificate({ commonName, notBefore, notAfter }: TestCertificateOptions): TestCertificate {
  const start = notBefore ?? new Date(Date.now() - 60 * 60 * 1000);
  const end = notAfter ?? new Date(start.getTime() + 365 * 24 * 60 * 60 * 1000);
  const pair = generateRsaKeyPair();
  const certPem = issueCertificate({
    commonName,
    publicKeyPem: pair.publicKeyPem,
    subjectPrivateKeyPem: pair.privateKeyPem,
    notBefore: start,
    notAfter: end,
  });
  const keyPem = crypto.createPrivateKey(pair.privateKeyPem).export({ type: "pkcs8", format: "pem" }).toString();
  const der = certificateDer(certPem);
  return {
    certPem,
    keyPem,
    thumbprintSha1Hex: sha1Thumbprint(der).toString("hex").toUpperCase(),
    certDerBase64: der.toString("base64"),
    certificateWithKeyPem: `${certPem.trim()}\n${keyPem.trim()}\n`,
  };
}
