/**
 * App registrations made by hand, the way admins really make them, through Graph as the portal and
 * PowerShell do (POST /applications, PATCH the manifest, addPassword, POST /servicePrincipals, a
 * claims-mapping policy written as CMiC's guide prints it, or the portal's Attributes & Claims).
 * Nothing here uses the project's own code: these are the setups `audit` and `adopt` meet.
 */
import type { Client } from "@microsoft/microsoft-graph-client";

export type HandMadeKind =
  /** The Arcoro setup guide followed literally: v2, api://<client id>, the claim in the portal (Attributes & Claims). */
  | "setup-guide"
  /** CMiC's own guide followed literally: v1 tokens (the manifest left at null), a URI on the verified domain, a policy by PowerShell. */
  | "cmic-guide"
  /** Broken: the Cloud claim with ONE pipe, v1 tokens, api://<client id>, acceptMappedClaims still null. */
  | "broken"
  /** Right but for the claim: v2, URI on the verified domain, accepted mapped claims, the claim in the portal's Attributes & Claims. */
  | "portal-claim"
  /** Already what this project would deploy: v2, URI on the verified domain, a policy, accepted mapped claims. */
  | "correct";

export interface HandMadeApp {
  kind: HandMadeKind;
  clientId: string;
  appObjectId: string;
  servicePrincipalId: string;
  identifierUri: string;
  /** The claim value as the admin typed it. */
  claimValue: string;
  /** The secret the admin pasted into the connector, and its key id. */
  secret: { keyId: string; value: string; endDateTime: string };
  /** The claims-mapping policy created by hand, when the setup has one. */
  policyId: string | null;
}

interface Created {
  id: string;
  appId: string;
}

/** A claims-mapping policy definition as CMiC's guide has admins write it in PowerShell. */
function policyDefinition(value: string): string {
  return JSON.stringify({
    ClaimsMappingPolicy: { Version: 1, IncludeBasicClaimSet: "true", ClaimsSchema: [{ Value: value, JwtClaimType: "cmicuser" }] },
  });
}

/**
 * Make one hand-made setup in the tenant Graph signs in to. `verifiedDomain` is a verified domain
 * of that tenant; `now` dates the secret (it ends a year later, the portal's longest choice is 2).
 */
export async function seedHandMade(graph: Client, kind: HandMadeKind, verifiedDomain: string, now: Date): Promise<HandMadeApp> {
  const names: Record<HandMadeKind, string> = {
    "setup-guide": "Arcoro's Integration module – CMiC Integration",
    "cmic-guide": "CMiC API",
    broken: "CMiC Cloud integration",
    "portal-claim": "CMiC – Informatica CAI",
    correct: "Arcoro Integration - CMiC (prod)",
  };
  const app = (await graph.api("/applications").post({ displayName: names[kind], signInAudience: "AzureADMyOrg" })) as Created;
  const claimValue = kind === "broken" ? "ACME|ARCORO_SVC" : "ARCORO_SVC";
  const tokenVersion = kind === "cmic-guide" || kind === "broken" ? null : 2;
  const identifierUri = kind === "setup-guide" || kind === "broken" ? `api://${app.appId}` : `api://${app.appId}.${verifiedDomain}`;
  await graph.api(`/applications/${app.id}`).patch({ identifierUris: [identifierUri], api: { requestedAccessTokenVersion: tokenVersion } });
  const endDateTime = new Date(now.getTime() + 365 * 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
  const password = (await graph
    .api(`/applications/${app.id}/addPassword`)
    .post({ passwordCredential: { displayName: "Arcoro's Integration module CMiC", endDateTime } })) as {
    keyId: string;
    secretText: string;
    endDateTime: string;
  };
  const sp = (await graph.api("/servicePrincipals").post({ appId: app.appId })) as Created;
  let policyId: string | null = null;
  if (kind === "setup-guide" || kind === "portal-claim") {
    // Enterprise applications → the app → Single sign-on → Attributes & Claims → Add new claim.
    await graph
      .api(`/servicePrincipals/${sp.id}/claimsPolicy`)
      .version("beta")
      .put({
        includeBasicClaimSet: true,
        claims: [
          {
            "@odata.type": "#microsoft.graph.customClaim",
            name: "cmicuser",
            namespace: null,
            tokenFormat: ["jwt", "saml"],
            configurations: [
              {
                condition: null,
                attribute: { "@odata.type": "#microsoft.graph.valueBasedAttribute", value: claimValue },
                transformations: [],
              },
            ],
          },
        ],
      });
  } else {
    const policy = (await graph
      .api("/policies/claimsMappingPolicies")
      .post({ displayName: "CMiC user", definition: [policyDefinition(claimValue)], isOrganizationDefault: false })) as Created;
    await graph
      .api(`/servicePrincipals/${sp.id}/claimsMappingPolicies/$ref`)
      .post({ "@odata.id": `https://graph.microsoft.com/v1.0/policies/claimsMappingPolicies/${policy.id}` });
    policyId = policy.id;
  }
  // The guides' last manifest step; the broken setup never got there.
  if (kind !== "broken") await graph.api(`/applications/${app.id}`).patch({ api: { acceptMappedClaims: true } });
  return {
    kind,
    clientId: app.appId,
    appObjectId: app.id,
    servicePrincipalId: sp.id,
    identifierUri,
    claimValue,
    secret: { keyId: password.keyId, value: password.secretText, endDateTime: password.endDateTime },
    policyId,
  };
}
