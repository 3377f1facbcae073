/**
 * azuread.ApplicationPassword (terraform-provider-azuread v3.8.0 `azuread_application_password`): a
 * client secret, added with `addPassword` and removed with `removePassword`. Every input forces
 * replacement and there is no Update.
 */
import { diffSdkV2, inputProperties, type Schema } from "./schema";
import { SOURCES } from "./sources";
import {
  applyError,
  describeGraphFailure,
  goRfc3339,
  graphStep,
  isGuid,
  isNotFound,
  objectIdIn,
  rejectUnmodelled,
  stringOr,
} from "./support";
import type { CreateResult, Properties, ProviderContext, ResourceModel } from "./types";

const TF_TYPE = "azuread_application_password";
const TYPE = "azuread:index/applicationPassword:ApplicationPassword";
const S = SOURCES.password;

export const PASSWORD_SCHEMA: Schema = {
  applicationId: { kind: "string", mode: "required", forceNew: true, source: `${S} schema application_id (ForceNew)` },
  displayName: {
    kind: "string",
    mode: "optional+computed",
    forceNew: true,
    source: `${S} schema display_name (Optional+Computed, ForceNew)`,
    note: "Read: Graph's displayName.",
  },
  endDate: {
    kind: "string",
    mode: "optional+computed",
    forceNew: true,
    source: `${S} schema end_date (Optional+Computed, ForceNew); Read overwrites it with Graph's endDateTime`,
    note: "Sent as Go's RFC3339 (no fraction); state holds Graph's value: a `….000Z` input differs from it.",
  },
  endDateRelative: {
    kind: "string",
    mode: "optional",
    forceNew: true,
    source: `${S} schema end_date_relative (ForceNew, deprecated)`,
    note: "credentials.PasswordCredential ignores it in v3.8.0: Graph's default end date applies.",
  },
  rotateWhenChanged: { kind: "map", mode: "optional", forceNew: true, source: `${S} schema rotate_when_changed (ForceNew)` },
  startDate: {
    kind: "string",
    mode: "optional+computed",
    forceNew: true,
    source: `${S} schema start_date (Optional+Computed, ForceNew); Read overwrites it with Graph's startDateTime`,
  },
  keyId: { kind: "string", mode: "computed", source: `${S} Read: key_id from the resource id` },
  value: { kind: "string", mode: "computed", source: `${S} Create: secretText (Sensitive; @pulumi/azuread additionalSecretOutputs)` },
};

interface PasswordId {
  objectId: string;
  keyId: string;
}

/** parse.PasswordID: exactly `<objectId>/password/<keyId>`, both UUIDs, no leading slash. */
function parseId(ctx: ProviderContext, id: string): PasswordId {
  const parts = id.split("/");
  if (parts.length !== 3 || parts[1] !== "password" || !isGuid(parts[0]) || !isGuid(parts[2])) {
    throw applyError(ctx, TF_TYPE, `id: Parsing password credential with ID ${JSON.stringify(id)}: expected {objectId}/password/{keyId}`);
  }
  return { objectId: parts[0], keyId: parts[2] };
}

interface GraphPasswordCredential {
  keyId?: string | null;
  displayName?: string | null;
  customKeyIdentifier?: string | null;
  startDateTime?: string | null;
  endDateTime?: string | null;
}

function findCredential(credentials: unknown, keyId: string): GraphPasswordCredential | undefined {
  if (!Array.isArray(credentials)) return undefined;
  // credentials.GetPasswordCredential: keyIds compared case-insensitively.
  return (credentials as GraphPasswordCredential[]).find((credential) => stringOr(credential.keyId).toLowerCase() === keyId.toLowerCase());
}

async function read(ctx: ProviderContext, id: string, prior: Properties): Promise<Properties | null> {
  const { objectId, keyId } = parseId(ctx, id);
  let app: { passwordCredentials?: unknown };
  try {
    app = (await ctx.graph.api(`/applications/${objectId}`).get()) as { passwordCredentials?: unknown };
  } catch (error) {
    if (isNotFound(error)) return null; // the application is gone: "removing from state!"
    throw applyError(ctx, TF_TYPE, `application_id: Retrieving /applications/${objectId}: ${describeGraphFailure(error)}`);
  }
  const credential = findCredential(app.passwordCredentials, keyId);
  if (!credential) return null; // "Password credential … was not found - removing from state!"
  let displayName: string | undefined;
  // The provider tests the nullable for nil, and a JSON null still sets it: displayName "" then.
  if ("displayName" in credential) displayName = stringOr(credential.displayName);
  else if (typeof credential.customKeyIdentifier === "string")
    displayName = Buffer.from(credential.customKeyIdentifier, "base64").toString("utf8");
  const state: Properties = {
    applicationId: `/applications/${objectId}`,
    displayName: displayName ?? stringOr(prior.displayName),
    endDate: stringOr(credential.endDateTime),
    keyId,
    startDate: stringOr(credential.startDateTime),
    // Not returned by Graph: kept from the prior state (the value only ever comes from Create).
    value: prior.value,
  };
  for (const kept of ["endDateRelative", "rotateWhenChanged"]) if (prior[kept] !== undefined) state[kept] = prior[kept];
  return state;
}

/** credentials.PasswordCredentialForResource: display name, start and end dates, dates through Go's RFC3339. */
function passwordCredential(ctx: ProviderContext, inputs: Properties): Properties {
  const credential: Properties = {};
  if (typeof inputs.displayName === "string" && inputs.displayName !== "") credential.displayName = inputs.displayName;
  for (const [input, graphName, attribute] of [
    ["startDate", "startDateTime", "start_date"],
    ["endDate", "endDateTime", "end_date"],
  ] as const) {
    const value = inputs[input];
    if (typeof value !== "string" || value === "") continue;
    const formatted = goRfc3339(value);
    if (!formatted)
      throw applyError(ctx, TF_TYPE, `${attribute}: Unable to parse the provided ${attribute.replace("_", " ")} ${JSON.stringify(value)}`);
    credential[graphName] = formatted;
  }
  return credential;
}

export const applicationPasswordModel: ResourceModel & { readonly schema: Schema } = {
  type: TYPE,
  schema: PASSWORD_SCHEMA,
  sources: [S, SOURCES.credentials, SOURCES.credentialIds, SOURCES.sdkv2Diff, SOURCES.bridgeDiff, SOURCES.bridgeNames],

  async check(inputs, ctx) {
    rejectUnmodelled(ctx, TF_TYPE, TYPE, inputs, inputProperties(PASSWORD_SCHEMA));
    if (!objectIdIn(inputs.applicationId, "applications")) {
      throw applyError(
        ctx,
        TF_TYPE,
        `application_id: ${JSON.stringify(inputs.applicationId)} is not an application ID (/applications/{applicationId})`,
      );
    }
    if (inputs.endDate !== undefined && inputs.endDateRelative !== undefined) {
      throw applyError(ctx, TF_TYPE, `"end_date": conflicts with end_date_relative`);
    }
    passwordCredential(ctx, inputs); // validation.IsRFC3339Time at plan time
  },

  diff(state, inputs) {
    return diffSdkV2(PASSWORD_SCHEMA, state, inputs);
  },

  async create(inputs, ctx): Promise<CreateResult> {
    const objectId = objectIdIn(inputs.applicationId, "applications");
    if (!objectId) throw applyError(ctx, TF_TYPE, `application_id: Parsing \`application_id\` ${JSON.stringify(inputs.applicationId)}`);
    const credential = passwordCredential(ctx, inputs);
    try {
      await ctx.graph.api(`/applications/${objectId}`).get();
    } catch (error) {
      if (isNotFound(error)) throw applyError(ctx, TF_TYPE, `application_id: /applications/${objectId} was not found`);
      throw applyError(ctx, TF_TYPE, `application_id: Retrieving /applications/${objectId}: ${describeGraphFailure(error)}`);
    }
    const added = (await graphStep(ctx, TF_TYPE, `Adding password for /applications/${objectId}`, () =>
      ctx.graph.api(`/applications/${objectId}/addPassword`).post({ passwordCredential: credential }),
    )) as { keyId?: string; secretText?: string };
    if (!added.keyId)
      throw applyError(ctx, TF_TYPE, `API error adding password for /applications/${objectId}: nil or empty keyId received`);
    if (!added.secretText)
      throw applyError(ctx, TF_TYPE, `API error adding password for /applications/${objectId}: nil or empty password received`);
    // parse.NewCredentialID(...).String(): no leading slash.
    const id = `${objectId}/password/${added.keyId}`;
    // `--break secret`: the connector is handed a value Entra never issued, as a mistyped secret would be.
    const value = ctx.breakName === "secret" ? `${added.secretText.slice(0, -4)}XXXX` : added.secretText;
    // The provider polls until the credential shows in the manifest, then reads.
    const state = await read(ctx, id, { ...inputs, value });
    if (!state)
      throw applyError(
        ctx,
        TF_TYPE,
        `Waiting for password credential for /applications/${objectId}: password credential not found in application manifest`,
      );
    return { id, state };
  },

  read(id, state, ctx) {
    return read(ctx, id, state);
  },

  update() {
    return Promise.reject(new Error(`${TYPE} has no update: every input forces replacement`));
  },

  async delete(id, _state, ctx) {
    const { objectId, keyId } = parseId(ctx, id);
    await graphStep(ctx, TF_TYPE, `Removing password credential "${keyId}" from /applications/${objectId}`, () =>
      ctx.graph.api(`/applications/${objectId}/removePassword`).post({ keyId }),
    );
    // consistency.WaitForDeletion: one read, since the emulator's Graph is consistent at once.
    const app = (await graphStep(ctx, TF_TYPE, `Waiting for deletion of password credential "${keyId}"`, () =>
      ctx.graph.api(`/applications/${objectId}`).get(),
    )) as { passwordCredentials?: unknown };
    if (findCredential(app.passwordCredentials, keyId)) {
      throw applyError(
        ctx,
        TF_TYPE,
        `Waiting for deletion of password credential "${keyId}" from /applications/${objectId}: it is still there`,
      );
    }
  },
};
