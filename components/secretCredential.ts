/**
 * The connector's client secret and the rotation anchor that dates it, rotated without outage
 * (docs/rotation-design.md): a new secret is issued by the first run after the rotation date, and
 * the one it replaces stays on the application, valid, until its own end date.
 */
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import * as time from "@pulumiverse/time";
import { MANAGED_SECRET_DISPLAY_NAME, RUN_ALLOWANCE_DAYS } from "../contract/appCredentials";
import { graphDate } from "./graphDate";

const DAY_MS = 86_400_000;

/**
 * The secret's end date: the rotation date, plus the handover window its successor leaves the
 * connector, plus the run allowance (the successor is issued at most that late). Graph writes dates
 * without fractional seconds.
 */
export function secretEndDate(rotationRfc3339: string, handoverDays: number): string {
  return graphDate(new Date(Date.parse(rotationRfc3339) + (handoverDays + RUN_ALLOWANCE_DAYS) * DAY_MS));
}

/** The settings a rotation anchor carries, as strings (time_rotating's triggers are a map of strings). */
export interface RotationTriggers {
  lifetimeDays: string;
  handoverDays: string;
}

/**
 * The handover window a rotation anchor was created with. An anchor from before handoverDays has no
 * triggers: 0 keeps its secret's end date as it was (rotation + 30 days), so upgrading replaces nothing.
 */
export function handoverDaysOf(triggers: Record<string, string> | undefined): number {
  const value = triggers?.handoverDays;
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : 0;
}

export interface SecretCredential {
  rotation: time.Rotating;
  password: azuread.ApplicationPassword;
  /** The handover window the current secret was issued with (the setting in force at its rotation). */
  handoverDays: pulumi.Output<number>;
  /**
   * Issue (the anchor's base, time_rotating's `rfc3339`) plus the handover window: the connector must use the current secret by then. The secret it
   * replaced ended at its rotation date + its handover + RUN_ALLOWANCE_DAYS, and this one was issued
   * at most RUN_ALLOWANCE_DAYS after that rotation date, so the replaced one works at least this long.
   */
  connectorSwitchBy: pulumi.Output<string>;
}

/** The switch-by date of a secret issued at `issuedAt` with a handover window of `handoverDays`. */
export function connectorSwitchBy(issuedAt: string, handoverDays: number): string {
  return graphDate(new Date(Date.parse(issuedAt) + handoverDays * DAY_MS));
}

/** `<name>-secret-rotation` and `<name>-secret` on the application `applicationId`. */
export function createSecretCredential(
  name: string,
  input: { applicationId: pulumi.Input<string>; lifetimeDays: number; handoverDays: number },
  parent: { parent: pulumi.Resource },
): SecretCredential {
  // A rotation anchor instead of "now + lifetime": an end date computed from the clock would
  // change on every run and, since every ApplicationPassword input forces replacement, mint a
  // new secret on every `pulumi up`.
  //
  // ignoreChanges: a new lifetime or handover window must take effect at the next rotation, not
  // at once. Without it, time_rotating updates rotation_rfc3339 in place when rotation_days
  // changes (no plan modifier on rotation_days, terraform-provider-time v0.12.1) and triggers
  // force a replacement: either moves the password's end date (ForceNew), a new secret at once.
  // ignoreChanges applies to an existing resource only (pulumi `processIgnoreChanges`): when the
  // refresh drops the anchor at its date, it is created with the current settings.
  const triggers: RotationTriggers = { lifetimeDays: String(input.lifetimeDays), handoverDays: String(input.handoverDays) };
  const rotation = new time.Rotating(
    `${name}-secret-rotation`,
    { rotationDays: input.lifetimeDays, triggers: { ...triggers } },
    { ...parent, ignoreChanges: ["rotationDays", "triggers"] },
  );
  const handoverDays = rotation.triggers.apply((anchored) => handoverDaysOf(anchored));
  const password = new azuread.ApplicationPassword(
    `${name}-secret`,
    {
      applicationId: input.applicationId,
      displayName: MANAGED_SECRET_DISPLAY_NAME,
      endDate: pulumi
        .all([rotation.rotationRfc3339, handoverDays])
        .apply(([rotationRfc3339, days]) => secretEndDate(rotationRfc3339, days)),
      rotateWhenChanged: { rotation: rotation.id },
    },
    // retainOnDelete: a replaced secret is dropped from the state without the provider's Delete
    // (pulumi/pulumi step.go DeleteStep.Apply; Pulumi docs, resource option retainOnDelete), so
    // the connector's secret keeps working after its successor is issued, until its end date.
    { ...parent, retainOnDelete: true },
  );
  return {
    rotation,
    password,
    handoverDays,
    connectorSwitchBy: pulumi.all([rotation.rfc3339, handoverDays]).apply(([issuedAt, days]) => connectorSwitchBy(issuedAt, days)),
  };
}
