/** The connector's credentials on the application: what the `credential` setting asks for. */
import type * as pulumi from "@pulumi/pulumi";
import type * as azuread from "@pulumi/azuread";
import { createCertificateCredential, type CertificateCredential } from "./certificateCredential";
import { createSecretCredential, type SecretCredential } from "./secretCredential";
import type { ValidatedSettings } from "./settings";

export interface CredentialResources {
  /** With credential `secret` or `both`. */
  secret: SecretCredential | null;
  /** With credential `certificate` or `both`. */
  certificate: CertificateCredential | null;
  /** The credentials themselves, secret first: the post-deploy check depends on them. */
  resources: (azuread.ApplicationPassword | azuread.ApplicationCertificate)[];
  /** Their key ids in the same order: the `credentialKeyIds` output drift compares with Graph. */
  keyIds: pulumi.Output<string>[];
}

export function createCredentials(
  name: string,
  settings: ValidatedSettings,
  applicationId: pulumi.Output<string>,
  parent: { parent: pulumi.Resource },
): CredentialResources {
  const secret =
    settings.credential !== "certificate"
      ? createSecretCredential(
          name,
          { applicationId, lifetimeDays: settings.secretLifetimeDays, handoverDays: settings.handoverDays },
          parent,
        )
      : null;
  const certificate = settings.certificate
    ? createCertificateCredential(name, { applicationId, certificate: settings.certificate }, parent)
    : null;
  const resources = [...(secret ? [secret.password] : []), ...(certificate ? [certificate.certificate] : [])];
  return { secret, certificate, resources, keyIds: resources.map((credential) => credential.keyId) };
}
