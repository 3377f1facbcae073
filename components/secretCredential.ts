/** The connector's client secret and the rotation anchor that dates it. */
import type * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import * as time from "@pulumiverse/time";
import { graphDate } from "./graphDate";

/**
 * Days the secret stays valid after its rotation date. time.Rotating is re-read only when a run
 * refreshes (every `pulumi up` here), so the new secret is issued by the first scheduled run after
 * the rotation date, not at that instant: a secret ending ON the rotation date would have expired
 * before that run (an outage between the two). Thirty days cover a monthly schedule with room.
 */
export const SECRET_OVERLAP_DAYS = 30;

/** The secret's end date: the rotation date plus the overlap, as Graph writes dates (no fractional seconds). */
export function secretEndDate(rotationRfc3339: string): string {
  return graphDate(new Date(Date.parse(rotationRfc3339) + SECRET_OVERLAP_DAYS * 86_400_000));
}

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
      endDate: rotation.rotationRfc3339.apply(secretEndDate),
      rotateWhenChanged: { rotation: rotation.id },
    },
    parent,
  );
  return { rotation, password };
}
