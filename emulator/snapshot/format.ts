/**
 * The emulator's snapshot: the whole directory and the emulator-wide signing key as plain JSON, so
 * that a persistent world can stop and continue in another process (another port, a later clock).
 *
 * It mirrors the store (store.ts) field for field, leaving out only what is derived from another
 * field (certificate thumbprints and public keys come from the certificate). Instants are written
 * as the store holds them: epoch milliseconds on the directory's clock (`createdAt`, `readyAt`),
 * Graph date strings (`createdDateTime`, credential dates), ISO 8601 for certificate validity.
 *
 * Secrets: client secrets are kept as the store keeps them, SHA-256 hashes; the deployers' secret
 * texts and the signing keys' private halves are in the clear. A snapshot is as sensitive as the
 * credentials it holds: store it readable by its owner only.
 *
 * A change of shape or meaning takes a new `format` string; a reader of `@1` refuses anything else.
 * (Two exceptions, optional fields written only when set, so a reader that predates them still
 * restores every snapshot it can read correctly, and refuses the others on the unknown field:
 * `TenantSnapshot.cloud`, written only for a tenant outside the global cloud, and
 * `ApplicationSnapshot.optionalClaims`, written only for an app whose optionalClaims are not null.)
 */
import type { EmulatorCloud } from "../clouds";
import type { Domain } from "../store";

export const SNAPSHOT_FORMAT = "cmic-entra-oauth/emulator-snapshot@3";
/**
 * Formats a reader still restores: @2 (before tenant licences, credential sign-ins and admin consent
 * in other tenants were modelled) reads as @3 with no licence, no sign-in and no consent; @1 (before
 * the portal's claim configuration) as @2 with no service principal having one.
 */
export const READABLE_SNAPSHOT_FORMATS: readonly string[] = [
  SNAPSHOT_FORMAT,
  "cmic-entra-oauth/emulator-snapshot@2",
  "cmic-entra-oauth/emulator-snapshot@1",
];

/** A credential's sign-ins (store.ts CredentialSignIns); absent before @3 and until its first use. */
export interface CredentialSignInsSnapshot {
  lastAttemptAt: number | null;
  lastSuccessAt: number | null;
  lastResourceAppId: string | null;
}

/** A JSON value (what `api` and the other application properties hold: Graph request bodies as sent). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [name: string]: JsonValue };

/** An RSA private key as a JSON Web Key (RFC 7517 / RFC 7518 §6.3), as node:crypto exports it. */
export interface RsaPrivateJwk {
  kty: "RSA";
  n: string;
  e: string;
  d: string;
  p: string;
  q: string;
  dp: string;
  dq: string;
  qi: string;
}

/** A token signing key: its private key and the self-signed certificate published as `x5c`. */
export interface SigningKeySnapshot {
  privateJwk: RsaPrivateJwk;
  /** Base64 DER. */
  certificate: string;
  /** ISO 8601, to the millisecond. */
  notBefore: string;
  notAfter: string;
}

export interface TenantSnapshot {
  id: string;
  displayName: string;
  /** Initial domain first, as the store keeps them. */
  domains: Domain[];
  /** Epoch ms. */
  createdAt: number;
  /** The seeded deployer, secret text included, as `addTenant` returned it. */
  deployer: { clientId: string; clientSecret: string };
  /** Microsoft Entra ID P1/P2; absent before @3 (no licence). */
  premiumLicense?: boolean;
  /** The tenant's Entra cloud (clouds.ts); absent: "public" (every tenant before clouds were modelled). */
  cloud?: EmulatorCloud;
}

export interface PasswordCredentialSnapshot {
  keyId: string;
  displayName: string | null;
  hint: string;
  startDateTime: string;
  endDateTime: string;
  /** Base64 SHA-256 of the secret text: the text itself is never kept. */
  secretHash: string;
  /** Epoch ms: when the token endpoint starts accepting it. */
  readyAt: number;
  signIns?: CredentialSignInsSnapshot;
}

export interface KeyCredentialSnapshot {
  keyId: string;
  displayName: string | null;
  type: string;
  usage: string;
  /** Base64 DER of the certificate. */
  key: string;
  startDateTime: string;
  endDateTime: string;
  readyAt: number;
  signIns?: CredentialSignInsSnapshot;
}

export interface ApplicationSnapshot {
  tenantId: string;
  id: string;
  appId: string;
  displayName: string;
  signInAudience: string;
  identifierUris: string[];
  /** requestedAccessTokenVersion, acceptMappedClaims, oauth2PermissionScopes and whatever else was sent. */
  api: { [name: string]: JsonValue };
  keyCredentials: KeyCredentialSnapshot[];
  passwordCredentials: PasswordCredentialSnapshot[];
  createdDateTime: string;
  /** The other writable properties, as sent. */
  other: { [name: string]: JsonValue };
  graphRoles: string[];
  /**
   * The app's optionalClaims, all three collections, every claim with its four properties
   * (store.ts OptionalClaims); absent: null (never set, and every app before they were modelled,
   * unless its `other` holds them as sent: restore.ts reads those).
   */
  optionalClaims?: OptionalClaimsSnapshot;
}

/** One optional claim (store.ts OptionalClaim). */
export interface OptionalClaimSnapshot {
  name: string;
  source: string | null;
  essential: boolean;
  additionalProperties: string[];
}

export interface OptionalClaimsSnapshot {
  accessToken: OptionalClaimSnapshot[];
  idToken: OptionalClaimSnapshot[];
  saml2Token: OptionalClaimSnapshot[];
}

export interface ServicePrincipalSnapshot {
  tenantId: string;
  id: string;
  appId: string;
  displayName: string;
  createdDateTime: string;
  readyAt: number;
  claimsMappingPolicies: Array<{ policyId: string; readyAt: number }>;
  tokenSigningKeys: SigningKeySnapshot[];
  preferredTokenSigningKeyThumbprint: string | null;
  /** Set for first-party resources (Graph). */
  firstParty: { names: string[]; ownerTenantId: string } | null;
  /** Graph permissions consented in this tenant for another tenant's multi-tenant app; absent: none (store.ts). */
  graphRoles?: string[];
  /** The portal's claim configuration (Attributes & Claims); absent in @1 snapshots. */
  customClaimsPolicy?: {
    id: string;
    includeBasicClaimSet: boolean;
    claims: Array<{ name: string; value: string | null; tokenFormat: string[]; raw: { [name: string]: JsonValue } }>;
  } | null;
}

export interface ClaimsMappingPolicySnapshot {
  tenantId: string;
  id: string;
  displayName: string;
  definition: string[];
  isOrganizationDefault: boolean;
}

export interface EmulatorSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  /** The emulator-wide key that signs tokens (and verifies Graph bearer tokens). */
  signingKey: SigningKeySnapshot;
  /** Every collection in the order the store holds it (Graph lists in that order). */
  tenants: TenantSnapshot[];
  applications: ApplicationSnapshot[];
  servicePrincipals: ServicePrincipalSnapshot[];
  claimsMappingPolicies: ClaimsMappingPolicySnapshot[];
}

/** A snapshot that cannot be restored: `field` names where (`applications[2].passwordCredentials[0].secretHash`). */
export class EmulatorSnapshotError extends Error {
  constructor(
    readonly field: string,
    readonly expected: string,
    found: string,
  ) {
    super(`Emulator snapshot: ${field === "" ? "the snapshot" : field} must be ${expected}${found === "" ? "" : ` (found ${found})`}.`);
    this.name = "EmulatorSnapshotError";
  }
}
