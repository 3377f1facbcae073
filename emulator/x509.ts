/**
 * X.509 building blocks shared by the emulator's TLS material and its token-signing keys.
 *
 * RSA keys come from node:crypto (native, ~10x faster than node-forge's JavaScript prime search);
 * node-forge only assembles and signs the certificates, which node:crypto cannot do.
 */
import crypto from "node:crypto";
import net from "node:net";
import forge from "node-forge";

export interface RsaKeyPairPem {
  /** PKCS#1 PEM ("RSA PRIVATE KEY"), the form both node-forge and node:crypto read. */
  privateKeyPem: string;
  publicKeyPem: string;
}

export function generateRsaKeyPair(modulusLength = 2048): RsaKeyPairPem {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", {
    modulusLength,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

export interface CertificateRequest {
  commonName: string;
  /** The public key the certificate binds. */
  publicKeyPem: string;
  notBefore: Date;
  notAfter: Date;
  /** Who signs: absent = self-signed with `subjectPrivateKeyPem`. */
  issuer?: { certPem: string; privateKeyPem: string };
  /** Needed for a self-signed certificate. */
  subjectPrivateKeyPem?: string;
  isCa?: boolean;
  /**
   * For a CA: the only names it may certify (DNS names, or IP addresses as single hosts). Written
   * as a critical name-constraints extension, so a CA that a shell trusts through
   * NODE_EXTRA_CA_CERTS can vouch for nothing but this machine's loopback names.
   */
  permittedNames?: string[];
  /** Subject alternative names: DNS names and IP addresses (v4 or v6). */
  altNames?: string[];
  serverAuth?: boolean;
}

/** A positive random serial: forge takes hex, and a leading 0x7f keeps it positive in DER. */
function randomSerialHex(): string {
  return `7f${crypto.randomBytes(15).toString("hex")}`;
}

export function issueCertificate(request: CertificateRequest): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(request.publicKeyPem);
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = request.notBefore;
  cert.validity.notAfter = request.notAfter;
  const subject = [{ name: "commonName", value: request.commonName }];
  cert.setSubject(subject);

  let signingKeyPem: string;
  if (request.issuer) {
    cert.setIssuer(forge.pki.certificateFromPem(request.issuer.certPem).subject.attributes);
    signingKeyPem = request.issuer.privateKeyPem;
  } else {
    if (!request.subjectPrivateKeyPem) throw new Error("A self-signed certificate needs subjectPrivateKeyPem.");
    cert.setIssuer(subject);
    signingKeyPem = request.subjectPrivateKeyPem;
  }

  const extensions: object[] = [];
  if (request.isCa) {
    extensions.push({ name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true });
    if (request.permittedNames && request.permittedNames.length > 0) extensions.push(nameConstraints(request.permittedNames));
    extensions.push({ name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true });
  } else {
    extensions.push({ name: "basicConstraints", cA: false });
    extensions.push({ name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true });
  }
  if (request.serverAuth) extensions.push({ name: "extKeyUsage", serverAuth: true });
  if (request.altNames && request.altNames.length > 0) {
    extensions.push({
      name: "subjectAltName",
      altNames: request.altNames.map((name) => (net.isIP(name) ? { type: 7, ip: name } : { type: 2, value: name })),
    });
  }
  extensions.push({ name: "subjectKeyIdentifier" });
  cert.setExtensions(extensions);
  cert.sign(forge.pki.privateKeyFromPem(signingKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** OID of the X.509 name-constraints extension. */
export const NAME_CONSTRAINTS_OID = "2.5.29.30";

/** NameConstraints { permittedSubtrees [0] } with one GeneralSubtree per name (RFC 5280 §4.2.1.10). */
function nameConstraints(names: string[]): object {
  const { asn1 } = forge;
  const subtrees = names.map((name) => {
    let base: forge.asn1.Asn1;
    if (net.isIP(name)) {
      // An iPAddress constraint is the address followed by its mask: here a single host.
      const address = ipBytes(name);
      const mask = Buffer.alloc(address.length, 0xff);
      base = asn1.create(asn1.Class.CONTEXT_SPECIFIC, 7, false, Buffer.concat([address, mask]).toString("binary"));
    } else {
      base = asn1.create(asn1.Class.CONTEXT_SPECIFIC, 2, false, name);
    }
    return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [base]);
  });
  const value = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, subtrees)]);
  return { id: NAME_CONSTRAINTS_OID, critical: true, value: asn1.toDer(value).getBytes() };
}

function ipBytes(ip: string): Buffer {
  if (net.isIPv4(ip)) return Buffer.from(ip.split(".").map(Number));
  // Expand "::" and write eight 16-bit groups.
  const [head, tail = ""] = ip.split("::");
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const groups = [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill("0"), ...tailGroups];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, index) => bytes.writeUInt16BE(parseInt(group, 16), index * 2));
  return bytes;
}

/** Whether a CA certificate carries name constraints (older emulator CAs did not). */
export function hasNameConstraints(certPem: string): boolean {
  return Boolean(forge.pki.certificateFromPem(certPem).getExtension("nameConstraints"));
}

/** DER bytes of the first certificate in a PEM. */
export function certificateDer(certPem: string): Buffer {
  return new crypto.X509Certificate(certPem).raw;
}

/** SHA-1 thumbprint of a certificate's DER (what Entra calls the thumbprint / x5t). */
export function sha1Thumbprint(der: Buffer): Buffer {
  return crypto.createHash("sha1").update(der).digest();
}

export function sha256Thumbprint(der: Buffer): Buffer {
  return crypto.createHash("sha256").update(der).digest();
}
