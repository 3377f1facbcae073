/** The connector's public certificate as a credential of the application. */
import type * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import type { CertificateInfo } from "./certificate";

export interface CertificateCredential {
  certificate: azuread.ApplicationCertificate;
}

/**
 * A date as Graph returns it for a key credential: RFC 3339 without fractional seconds
 * (`2026-01-01T00:00:00Z`). terraform-provider-azuread v3.8.0 (@pulumi/azuread 6.9.1) overwrites
 * `start_date` and `end_date` with Graph's values on every Read, and both force replacement: an
 * input written by `toISOString()` (`….000Z`) differs from state after every refresh, and the
 * certificate would be replaced on every `pulumi up`.
 */
export function graphDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** `<name>-certificate` on the application `applicationId`, valid as long as the certificate itself. */
export function createCertificateCredential(
  name: string,
  input: { applicationId: pulumi.Input<string>; certificate: CertificateInfo },
  parent: { parent: pulumi.Resource },
): CertificateCredential {
  const certificate = new azuread.ApplicationCertificate(
    `${name}-certificate`,
    {
      applicationId: input.applicationId,
      type: "AsymmetricX509Cert",
      encoding: "pem",
      value: input.certificate.pem,
      startDate: graphDate(input.certificate.notBefore),
      endDate: graphDate(input.certificate.notAfter),
    },
    parent,
  );
  return { certificate };
}
