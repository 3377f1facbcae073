/** `/applications/{id}/addPassword` and `/removePassword`: client secrets, returned once and kept only as a hash. */
import crypto from "node:crypto";
import { badRequest } from "../errors";
import { json, type EmulatorResponse } from "../http";
import { hashSecret, type PasswordCredential } from "../store";
import { findApplication } from "./applications";
import { contextUrl, parseJsonBody, type GraphCall } from "./call";
import { generateSecretText, isObject } from "./objects";
import { graphDateTime } from "./dates";

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/** The secret's validity window: from now for two years unless the body says otherwise. */
function validityWindow(input: Record<string, unknown>, now: number): { start: Date; end: Date } {
  const start = input.startDateTime === undefined || input.startDateTime === null ? new Date(now) : new Date(String(input.startDateTime));
  const end =
    input.endDateTime === undefined || input.endDateTime === null
      ? new Date(start.getTime() + 2 * YEAR_MS)
      : new Date(String(input.endDateTime));
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) {
    throw badRequest("Invalid startDateTime or endDateTime: use ISO 8601 date-times.");
  }
  if (end.getTime() <= start.getTime()) throw badRequest("The password credential's endDateTime must be after its startDateTime.");
  return { start, end };
}

export function addPassword(call: GraphCall): EmulatorResponse {
  const { store } = call;
  const app = findApplication(call);
  const body = parseJsonBody(call.request);
  const input = body.passwordCredential === undefined ? {} : body.passwordCredential;
  if (!isObject(input)) throw badRequest("Property 'passwordCredential' must be an object.");
  const { start, end } = validityWindow(input, store.now());
  const secretText = generateSecretText();
  const credential: PasswordCredential = {
    keyId: crypto.randomUUID(),
    displayName: typeof input.displayName === "string" ? input.displayName : null,
    hint: secretText.slice(0, 3),
    startDateTime: graphDateTime(start),
    endDateTime: graphDateTime(end),
    secretHash: hashSecret(secretText),
    readyAt: store.readyAtFromNow(),
  };
  app.passwordCredentials.push(credential);
  return json(200, {
    "@odata.context": contextUrl(call, "microsoft.graph.passwordCredential"),
    customKeyIdentifier: null,
    displayName: credential.displayName,
    endDateTime: credential.endDateTime,
    hint: credential.hint,
    keyId: credential.keyId,
    secretText,
    startDateTime: credential.startDateTime,
  });
}

export function removePassword(call: GraphCall): EmulatorResponse {
  const app = findApplication(call);
  const keyId = parseJsonBody(call.request).keyId;
  if (typeof keyId !== "string") throw badRequest("Property 'keyId' is required.");
  const before = app.passwordCredentials.length;
  app.passwordCredentials = app.passwordCredentials.filter((credential) => credential.keyId !== keyId.toLowerCase());
  if (app.passwordCredentials.length === before)
    throw badRequest(`No password credential with keyId '${keyId}' exists on this application.`);
  return { status: 204 };
}
