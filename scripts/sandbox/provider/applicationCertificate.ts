/**
 * azuread.ApplicationCertificate (terraform-provider-azuread v3.8.0
 * `azuread_application_certificate`): a certificate in the application's keyCredentials. Every input
 * forces replacement and there is no Update.
 *
 * The defect this models: Create sends the dates through Go's RFC3339 (no fraction) and Read
 * overwrites `start_date`/`end_date` with Graph's values, so a program that passes
 * `toISOString()` (`….000Z`) differs from the state on every run and, both being ForceNew, replaces
 * the certificate every time.
 */
import { randomUUID } from "node:crypto";
import { diffSdkV2, inputProperties, valueOrDefault, type Schema } from "./schema";
import { SOURCES } from "./sources";
import { applyError, formatGoRfc3339, goRfc3339, graphStep, isGuid, objectIdIn, rejectUnmodelled, stringOr } from "./support";
import type { CreateResult, Properties, ProviderContext, ResourceModel } from "./types";

const TF_TYPE = "azuread_application_certificate";
const TYPE = "azuread:index/applicationCertificate:ApplicationCertificate";
const S = SOURCES.certificate;

export const CERTIFICATE_SCHEMA: Schema = {
  applicationId: { kind: "string", mode: "required", forceNew: true, source: `${S} schema application_id (ForceNew)` },
  encoding: { kind: "string", mode: "optional", forceNew: true, default: "pem", source: `${S} schema encoding (ForceNew, Default pem)` },
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
    source: `${S} schema end_date_relative (ForceNew, deprecated); credentials.KeyCredentialForResource`,
    note: "With start_date set, v3.8.0 parses the duration as a date and fails.",
  },
  keyId: { kind: "string", mode: "optional+computed", forceNew: true, source: `${S} schema key_id (Optional+Computed, ForceNew, IsUUID)` },
  startDate: {
    kind: "string",
    mode: "optional+computed",
    forceNew: true,
    source: `${S} schema start_date (Optional+Computed, ForceNew); Read overwrites it with Graph's startDateTime`,
    note: "Sent as Go's RFC3339 (no fraction); state holds Graph's value: a `….000Z` input differs from it.",
  },
  type: {
    kind: "string",
    mode: "optional",
    forceNew: true,
    source: `${S} schema type (Optional, not Computed, ForceNew); Read sets it from Graph`,
    note: "Not Computed: leaving it out after Read stored AsymmetricX509Cert is a replacement.",
  },
  value: { kind: "string", mode: "required", forceNew: true, source: `${S} schema value (ForceNew, Sensitive); kept from state by Read` },
};

interface CertificateId {
  objectId: string;
  keyId: string;
}

/** parse.CertificateID: exactly `<objectId>/certificate/<keyId>`, both UUIDs, no leading slash. */
function parseId(ctx: ProviderContext, id: string): CertificateId {
  const parts = id.split("/");
  if (parts.length !== 3 || parts[1] !== "certificate" || !isGuid(parts[0]) || !isGuid(parts[2])) {
    throw applyError(
      ctx,
      TF_TYPE,
      `id: Parsing certificate credential with ID ${JSON.stringify(id)}: expected {objectId}/certificate/{keyId}`,
    );
  }
  return { objectId: parts[0], keyId: parts[2] };
}

type GraphKeyCredential = Record<string, unknown> & { keyId?: string | null };

function findCredential(credentials: unknown, keyId: string): GraphKeyCredential | undefined {
  if (!Array.isArray(credentials)) return undefined;
  return (credentials as GraphKeyCredential[]).find((credential) => stringOr(credential.keyId).toLowerCase() === keyId.toLowerCase());
}

/** The application's keyCredentials as GET returns them (`key` null), to be PATCHed back whole. */
async function keyCredentialsOf(ctx: ProviderContext, objectId: string): Promise<GraphKeyCredential[]> {
  const app = (await graphStep(ctx, TF_TYPE, `application_id: Retrieving /applications/${objectId}`, () =>
    ctx.graph.api(`/applications/${objectId}`).get(),
  )) as { keyCredentials?: unknown };
  return Array.isArray(app.keyCredentials) ? (app.keyCredentials as GraphKeyCredential[]) : [];
}

/**
 * Read. Unlike the other resources, a failed GET of the application (404 included) is an error, not
 * "gone": applicationCertificateResourceRead has no WasNotFound branch. Only a missing credential
 * removes the resource from state.
 */
async function read(ctx: ProviderContext, id: string, prior: Properties): Promise<Properties | null> {
  const { objectId, keyId } = parseId(ctx, id);
  const credential = findCredential(await keyCredentialsOf(ctx, objectId), keyId);
  if (!credential) return null;
  const state: Properties = {
    applicationId: `/applications/${objectId}`,
    encoding: prior.encoding ?? "pem",
    endDate: stringOr(credential.endDateTime),
    keyId,
    startDate: stringOr(credential.startDateTime),
    type: stringOr(credential.type),
    value: prior.value,
  };
  if (prior.endDateRelative !== undefined) state.endDateRelative = prior.endDateRelative;
  return state;
}

/** Go's time.ParseDuration for the units a credential lifetime uses (h, m, s, ms). */
function parseGoDuration(text: string): number | null {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  if (!/^(\d+(\.\d+)?(h|ms|m|s))+$/.test(text)) return null;
  let total = 0;
  for (const [, amount, , unit] of text.matchAll(/(\d+(\.\d+)?)(h|ms|m|s)/g)) total += Number(amount) * units[unit];
  return total;
}

/** The PEM text Graph is sent (base64 of it), from the value in its encoding. */
function pemOf(ctx: ProviderContext, value: string, encoding: string): string {
  const pem = (der: Buffer) =>
    `-----BEGIN CERTIFICATE-----\n${(der.toString("base64").match(/.{1,64}/g) ?? []).join("\n")}\n-----END CERTIFICATE-----\n`;
  switch (encoding) {
    case "pem":
      return value;
    case "base64": {
      const der = Buffer.from(value.trim(), "base64");
      if (der.length === 0) throw applyError(ctx, TF_TYPE, "failed to decode base64 certificate data");
      return pem(der);
    }
    case "hex": {
      const text = value.trim();
      if (!/^([0-9a-f]{2})*$/i.test(text)) throw applyError(ctx, TF_TYPE, "failed to decode hexadecimal certificate data");
      return pem(Buffer.from(text, "hex"));
    }
    default:
      throw applyError(ctx, TF_TYPE, `expected encoding to be one of [base64 hex pem], got ${encoding}`);
  }
}

/** credentials.KeyCredentialForResource: the keyCredential Create appends. */
function keyCredential(ctx: ProviderContext, inputs: Properties, now: Date): Properties {
  const encoding = String(valueOrDefault(CERTIFICATE_SCHEMA, inputs, "encoding"));
  const credential: Properties = {
    keyId: typeof inputs.keyId === "string" && inputs.keyId !== "" ? inputs.keyId : randomUUID(),
    type: stringOr(inputs.type),
    usage: "Verify",
    // PEM text, base64-encoded: Graph takes a PEM or DER certificate in `key`.
    key: Buffer.from(pemOf(ctx, String(inputs.value), encoding), "utf8").toString("base64"),
  };
  const startDate = typeof inputs.startDate === "string" && inputs.startDate !== "" ? inputs.startDate : null;
  if (startDate) {
    const formatted = goRfc3339(startDate);
    if (!formatted) throw applyError(ctx, TF_TYPE, `start_date: Unable to parse the provided start date ${JSON.stringify(startDate)}`);
    credential.startDateTime = formatted;
  }
  if (typeof inputs.endDate === "string" && inputs.endDate !== "") {
    const formatted = goRfc3339(inputs.endDate);
    if (!formatted) throw applyError(ctx, TF_TYPE, `end_date: Unable to parse the provided end date ${JSON.stringify(inputs.endDate)}`);
    credential.endDateTime = formatted;
  } else if (typeof inputs.endDateRelative === "string" && inputs.endDateRelative !== "") {
    const duration = parseGoDuration(inputs.endDateRelative);
    if (duration === null)
      throw applyError(
        ctx,
        TF_TYPE,
        `end_date_relative: Unable to parse \`end_date_relative\` (${JSON.stringify(inputs.endDateRelative)}) as a duration`,
      );
    // v3.8.0 parses the *duration* as an RFC3339 date when a start date is set, which always fails.
    if (startDate)
      throw applyError(ctx, TF_TYPE, `start_date: Unable to parse the provided start date ${JSON.stringify(inputs.endDateRelative)}`);
    credential.endDateTime = formatGoRfc3339(new Date(now.getTime() + duration));
  }
  return credential;
}

export const applicationCertificateModel: ResourceModel & { readonly schema: Schema } = {
  type: TYPE,
  schema: CERTIFICATE_SCHEMA,
  sources: [
    S,
    SOURCES.credentials,
    SOURCES.credentialIds,
    SOURCES.importErrors,
    SOURCES.sdkv2Diff,
    SOURCES.bridgeDiff,
    SOURCES.bridgeNames,
  ],

  async check(inputs, ctx) {
    rejectUnmodelled(ctx, TF_TYPE, TYPE, inputs, inputProperties(CERTIFICATE_SCHEMA));
    if (!objectIdIn(inputs.applicationId, "applications")) {
      throw applyError(
        ctx,
        TF_TYPE,
        `application_id: ${JSON.stringify(inputs.applicationId)} is not an application ID (/applications/{applicationId})`,
      );
    }
    if (inputs.type !== undefined && inputs.type !== "AsymmetricX509Cert" && inputs.type !== "Symmetric") {
      throw applyError(ctx, TF_TYPE, `expected type to be one of [AsymmetricX509Cert Symmetric], got ${String(inputs.type)}`);
    }
    if (inputs.keyId !== undefined && !isGuid(inputs.keyId)) throw applyError(ctx, TF_TYPE, `expected "key_id" to be a valid UUID`);
    if (inputs.endDate !== undefined && inputs.endDateRelative !== undefined) {
      throw applyError(ctx, TF_TYPE, `"end_date": conflicts with end_date_relative`);
    }
    for (const [input, attribute] of [
      ["startDate", "start_date"],
      ["endDate", "end_date"],
    ] as const) {
      const value = inputs[input];
      if (value !== undefined && (typeof value !== "string" || goRfc3339(value) === null)) {
        throw applyError(ctx, TF_TYPE, `"${attribute}" must be a valid RFC3339 date, got ${String(value)}`); // validation.IsRFC3339Time
      }
    }
  },

  diff(state, inputs) {
    return diffSdkV2(CERTIFICATE_SCHEMA, state, inputs);
  },

  async create(inputs, ctx): Promise<CreateResult> {
    const objectId = objectIdIn(inputs.applicationId, "applications");
    if (!objectId) throw applyError(ctx, TF_TYPE, `application_id: Parsing \`application_id\` ${JSON.stringify(inputs.applicationId)}`);
    const credential = keyCredential(ctx, inputs, ctx.now());
    const id = `${objectId}/certificate/${String(credential.keyId)}`;
    const existing = await keyCredentialsOf(ctx, objectId);
    if (findCredential(existing, String(credential.keyId))) {
      // tf.ImportAsExistsDiag.
      throw applyError(
        ctx,
        TF_TYPE,
        `A resource with the ID "${id}" already exists. To be managed via Terraform, this resource needs to be imported into the State. ` +
          `Please see the resource documentation for "${TF_TYPE}" for more information.`,
        `import it (pulumi import ${TYPE} <name> ${id}), or give this certificate another keyId.`,
      );
    }
    // The whole list goes back, the existing certificates as read (key null): Graph keeps them by keyId.
    await graphStep(ctx, TF_TYPE, `Adding certificate for /applications/${objectId}`, () =>
      ctx.graph.api(`/applications/${objectId}`).patch({ id: objectId, keyCredentials: [...existing, credential] }),
    );
    const state = await read(ctx, id, inputs);
    if (!state)
      throw applyError(
        ctx,
        TF_TYPE,
        `Waiting for certificate credential for /applications/${objectId}: certificate credential not found in application manifest`,
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
    const others = (await keyCredentialsOf(ctx, objectId)).filter(
      (credential) => stringOr(credential.keyId).toLowerCase() !== keyId.toLowerCase(),
    );
    await graphStep(ctx, TF_TYPE, `Removing certificate credential "${keyId}" from application with object ID "${objectId}"`, () =>
      ctx.graph.api(`/applications/${objectId}`).patch({ id: objectId, keyCredentials: others }),
    );
    if (findCredential(await keyCredentialsOf(ctx, objectId), keyId)) {
      throw applyError(
        ctx,
        TF_TYPE,
        `Waiting for deletion of certificate credential "${keyId}" from application with object ID "${objectId}": it is still there`,
      );
    }
  },
};
