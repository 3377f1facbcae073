/** The connector's public certificate as a credential of the application. */
import type * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import { graphDate } from "./graphDate";
import type { CertificateInfo } from "./certificate";

export interface CertificateCredential {
  certificate: azuread.ApplicationCertificate;
}

/**
 * `<name>-certificate` on the application `applicationId`, valid as long as the certificate itself.
 * Replaced when the `certificate` setting names a new one; the replaced one is retained.
 */
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
    // retainOnDelete: a new certificate is added beside the old one, and the old one stays on the
    // application until it expires or `npm run rotate -- --retire-previous` removes it: the
    // connector switches keys at its own pace (pulumi/pulumi step.go DeleteStep.Apply drops a
    // retained resource from the state without the provider's Delete).
    { ...parent, retainOnDelete: true },
  );
  return { certificate };
}
