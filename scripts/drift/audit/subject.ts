/**
 * What one app's audit judges: the stack outputs and clock it was given, and the batch's answers
 * read once into typed values. Every rule reads this record and nothing else, so the rules stay
 * pure and can run in any order the table chooses.
 */
import type { StackOutputs } from "../../../contract/stackOutputs";
import { isRecord, stringField, type BatchResponse } from "./graphValues";
import type { SignInActivity } from "./signInActivity";

export interface AuditContext {
  stack: string;
  outputs: StackOutputs;
  /** Credentials ending before now + expiryDays are reported. */
  expiryDays: number;
  now: Date;
  /** URN of the secret's `time:Rotating` resource, when the Pulumi layer found it. */
  rotationUrn?: string;
  /** The commands fixes name (default: a real stack's, `pulumi up --refresh --stack NAME`). */
  fixCommands?: { up(stack: string): string; handoff(stack: string): string; rotate(stack: string): string };
  /**
   * Graph's credential sign-in activity for the app, when drift asked for it (only when a previous
   * credential is still valid: {@link previousSecretsInPlay}); undefined when it did not ask.
   */
  signInActivity?: SignInActivity;
}

export interface GraphCredential {
  keyId: string;
  displayName: string | null;
  endDateTime: string | null;
  kind: "secret" | "certificate";
  owner: "application" | "service principal";
}

export interface AuditSubject extends AuditContext {
  /** The commands findings name in their fixes. */
  commands: { up: string; handoff: string; rotate: string };
  /** How findings name the application and the service principal. */
  labels: { app: string; sp: string };
  /** The raw answers, for "could not read" findings. */
  answers: { app?: BatchResponse; sp?: BatchResponse; policies?: BatchResponse; domains?: BatchResponse };
  /** The application object; undefined unless Graph answered 200 with one. */
  app: Record<string, unknown> | undefined;
  /** The service principal object; undefined unless Graph answered 200 with one. */
  sp: Record<string, unknown> | undefined;
  /** The tenant's domains; undefined when they could not be read. */
  domains: Record<string, unknown>[] | undefined;
  verifiedDomains: string[];
  /** The app's identifier URIs (empty without the app). */
  identifierUris: string[];
  /** Policies assigned to the service principal; undefined when they could not be read. */
  assignedPolicies: Record<string, unknown>[] | undefined;
  /** Credentials on the application (empty without it), then on the service principal (likewise). */
  appCredentials: GraphCredential[];
  spCredentials: GraphCredential[];
  /** The credential key ids the stack created, lowercased. */
  stackKeyIds: Set<string>;
  /** The policy the stack assigned, or null when it assigns none (claimSource registration). */
  expectedPolicyId: string | null;
}

function objectBody(response: BatchResponse | undefined): Record<string, unknown> | undefined {
  return response?.status === 200 && isRecord(response.body) ? response.body : undefined;
}

/** The `value` list of a 200 collection answer; undefined for any other answer. */
function collectionBody(response: BatchResponse | undefined): Record<string, unknown>[] | undefined {
  return response?.status === 200 && isRecord(response.body) && Array.isArray(response.body.value)
    ? response.body.value.filter(isRecord)
    : undefined;
}

function credentialsOf(object: Record<string, unknown> | undefined, owner: GraphCredential["owner"]): GraphCredential[] {
  if (!object) return [];
  const read = (list: unknown, kind: GraphCredential["kind"]): GraphCredential[] =>
    (Array.isArray(list) ? list : []).filter(isRecord).flatMap((c) => {
      const keyId = stringField(c.keyId);
      return keyId
        ? [{ keyId, displayName: stringField(c.displayName) ?? null, endDateTime: stringField(c.endDateTime) ?? null, kind, owner }]
        : [];
    });
  return [...read(object.passwordCredentials, "secret"), ...read(object.keyCredentials, "certificate")];
}

export function readAuditSubject(context: AuditContext, responses: Map<string, BatchResponse>): AuditSubject {
  const { stack, outputs } = context;
  const answers = {
    app: responses.get("app"),
    sp: responses.get("sp"),
    policies: responses.get("policies"),
    domains: responses.get("domains"),
  };
  const app = objectBody(answers.app);
  const sp = objectBody(answers.sp);
  const domains = collectionBody(answers.domains);
  return {
    ...context,
    commands: context.fixCommands
      ? { up: context.fixCommands.up(stack), handoff: context.fixCommands.handoff(stack), rotate: context.fixCommands.rotate(stack) }
      : {
          up: `pulumi up --refresh --stack ${stack}`,
          handoff: `npm run handoff -- --stack ${stack}`,
          rotate: `npm run rotate -- --stack ${stack}`,
        },
    labels: { app: `application ${outputs.clientId}`, sp: `service principal ${outputs.servicePrincipalObjectId}` },
    answers,
    app,
    sp,
    domains,
    verifiedDomains: (domains ?? []).filter((d) => d.isVerified === true).flatMap((d) => (typeof d.id === "string" ? [d.id] : [])),
    identifierUris: app && Array.isArray(app.identifierUris) ? app.identifierUris.filter((u): u is string => typeof u === "string") : [],
    assignedPolicies: collectionBody(answers.policies),
    appCredentials: credentialsOf(app, "application"),
    spCredentials: credentialsOf(sp, "service principal"),
    stackKeyIds: new Set(outputs.credentialKeyIds.map((id) => id.toLowerCase())),
    expectedPolicyId: outputs.claimSource === "token" ? outputs.claimsMappingPolicyId : null,
  };
}
