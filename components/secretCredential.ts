/** The connector's client secret and the rotation anchor that dates it. */
import type * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import * as time from "@pulumiverse/time";

export interface SecretCredential {
  rotation: time.Rotating;
  password: azuread.ApplicationPassword;
}

/** `<name>-secret-rotation` and `<name>-secret` on the application `applicationId`. */
export function createSecretCredential(
  name: string,
  input: { applicationId: pulumi.Input<string>; lifetimeDays: number },
  parent: { parent: pulumi.Resource },
): SecretCredential {
  // A rotation anchor instead of "now + lifetime": an end date computed from the clock would
  // change on every run and, since every ApplicationPassword input forces replacement, mint a
  // new secret on every `pulumi up`.
  const rotation = new time.Rotating(`${name}-secret-rotation`, { rotationDays: input.lifetimeDays }, parent);
  const password = new azuread.ApplicationPassword(
    `${name}-secret`,
    {
      applicationId: input.applicationId,
      displayName: "CMiC connector (managed by Pulumi)",
      endDate: rotation.rotationRfc3339,
      rotateWhenChanged: { rotation: rotation.id },
    },
    parent,
  );
  return { rotation, password };
}
