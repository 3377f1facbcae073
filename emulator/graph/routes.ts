/**
 * The Graph route tables: every `/v1.0` request this emulator answers (and, below, the beta ones), first match wins (pattern
 * syntax: router.ts). Each resource ends with `*` fallbacks: 405 for a method it lacks, 400
 * "Resource not found for the segment" for an unknown sub-path; under an entity the object is
 * looked up first, so a missing one is 404 whatever else is wrong.
 */
import { graphError } from "../errors";
import { createApplication, deleteApplication, findApplication, getApplication, listApplications, updateApplication } from "./applications";
import { batchAcceptsPostOnly, postBatch } from "./batch";
import { rejectMethod, rejectMethodOn, rejectUnknownSegment, rejectUnknownSegmentOn, type GraphHandler } from "./call";
import { createPolicy, deletePolicy, findAddressedPolicy, getPolicy, listPolicies, updatePolicy } from "./claimsMappingPolicies";
import { domainSubresourceNotFound, getDomain, getOrganization, listDomains } from "./directory";
import { addPassword, removePassword } from "./passwords";
import { assignPolicy, listAssignedPolicies, unassignPolicy } from "./policyAssignments";
import { listAppCredentialSignInActivities } from "./reports";
import { compileRoutes, type GraphRoute } from "./router";
import { getCustomClaimsPolicy, patchCustomClaimsPolicy, putCustomClaimsPolicy } from "./customClaimsPolicy";
import {
  addTokenSigningCertificate,
  createServicePrincipal,
  deleteServicePrincipal,
  findServicePrincipal,
  getServicePrincipal,
  listServicePrincipals,
  updateServicePrincipal,
} from "./servicePrincipals";

const noResourceSegment: GraphHandler = () => {
  throw graphError(400, "BadRequest", "Invalid request: no resource segment after /v1.0.");
};

const GRAPH_ROUTES: readonly GraphRoute[] = [
  { method: "*", path: "", handler: noResourceSegment },

  { method: "POST", path: "/$batch", handler: postBatch, topLevelOnly: true },
  { method: "*", path: "/$batch", handler: batchAcceptsPostOnly, topLevelOnly: true },

  { method: "GET", path: "/organization", handler: getOrganization },
  { method: "GET", path: "/domains", handler: listDomains },
  { method: "GET", path: "/domains/{domain}", handler: getDomain },
  { method: "GET", path: "/domains/{domain}/{segment}/**", handler: domainSubresourceNotFound },

  { method: "GET", path: "/applications", handler: listApplications },
  { method: "POST", path: "/applications", handler: createApplication },
  { method: "*", path: "/applications", handler: rejectMethod },
  { method: "GET", path: "/applications{key}", handler: getApplication },
  { method: "PATCH", path: "/applications{key}", handler: updateApplication },
  { method: "DELETE", path: "/applications{key}", handler: deleteApplication },
  { method: "*", path: "/applications{key}", handler: rejectMethodOn(findApplication) },
  { method: "POST", path: "/applications{key}/addPassword", handler: addPassword },
  { method: "POST", path: "/applications{key}/removePassword", handler: removePassword },
  { method: "*", path: "/applications{key}/{segment}/**", handler: rejectUnknownSegmentOn(findApplication) },

  { method: "GET", path: "/servicePrincipals", handler: listServicePrincipals },
  { method: "POST", path: "/servicePrincipals", handler: createServicePrincipal },
  { method: "*", path: "/servicePrincipals", handler: rejectMethod },
  { method: "GET", path: "/servicePrincipals{key}", handler: getServicePrincipal },
  { method: "DELETE", path: "/servicePrincipals{key}", handler: deleteServicePrincipal },
  { method: "PATCH", path: "/servicePrincipals{key}", handler: updateServicePrincipal },
  { method: "*", path: "/servicePrincipals{key}", handler: rejectMethodOn(findServicePrincipal) },
  { method: "GET", path: "/servicePrincipals{key}/claimsMappingPolicies", handler: listAssignedPolicies },
  { method: "POST", path: "/servicePrincipals{key}/claimsMappingPolicies/$ref", handler: assignPolicy },
  { method: "DELETE", path: "/servicePrincipals{key}/claimsMappingPolicies/{policyId}/$ref", handler: unassignPolicy },
  { method: "*", path: "/servicePrincipals{key}/claimsMappingPolicies/**", handler: rejectMethodOn(findServicePrincipal) },
  { method: "POST", path: "/servicePrincipals{key}/addTokenSigningCertificate", handler: addTokenSigningCertificate },
  { method: "*", path: "/servicePrincipals{key}/{segment}/**", handler: rejectUnknownSegmentOn(findServicePrincipal) },

  { method: "GET", path: "/policies/claimsMappingPolicies", handler: listPolicies },
  { method: "POST", path: "/policies/claimsMappingPolicies", handler: createPolicy },
  { method: "*", path: "/policies/claimsMappingPolicies", handler: rejectMethod },
  { method: "GET", path: "/policies/claimsMappingPolicies/{policyId}", handler: getPolicy },
  { method: "PATCH", path: "/policies/claimsMappingPolicies/{policyId}", handler: updatePolicy },
  { method: "DELETE", path: "/policies/claimsMappingPolicies/{policyId}", handler: deletePolicy },
  { method: "*", path: "/policies/claimsMappingPolicies/{policyId}", handler: rejectMethodOn(findAddressedPolicy) },
  { method: "*", path: "/policies/claimsMappingPolicies/{policyId}/{segment}/**", handler: rejectUnknownSegmentOn(findAddressedPolicy) },

  { method: "*", path: "/{segment}/**", handler: rejectUnknownSegment },
];

export const COMPILED_GRAPH_ROUTES = compileRoutes(GRAPH_ROUTES);

const noBetaResourceSegment: GraphHandler = () => {
  throw graphError(400, "BadRequest", "Invalid request: no resource segment after /beta.");
};

/**
 * The beta endpoints the project reads, and nothing else: every other beta path is answered as an
 * unknown segment (400), so a caller that drifts onto beta by mistake finds out. `$batch` stays v1.0.
 */
const BETA_ROUTES: readonly GraphRoute[] = [
  { method: "*", path: "", handler: noBetaResourceSegment },
  { method: "GET", path: "/servicePrincipals{key}/claimsPolicy", handler: getCustomClaimsPolicy },
  { method: "PUT", path: "/servicePrincipals{key}/claimsPolicy", handler: putCustomClaimsPolicy },
  { method: "PATCH", path: "/servicePrincipals{key}/claimsPolicy", handler: patchCustomClaimsPolicy },
  { method: "*", path: "/servicePrincipals{key}/claimsPolicy", handler: rejectMethodOn(findServicePrincipal) },
  { method: "GET", path: "/reports/appCredentialSignInActivities", handler: listAppCredentialSignInActivities },
  { method: "*", path: "/reports/appCredentialSignInActivities", handler: rejectMethod },
  { method: "*", path: "/{segment}/**", handler: rejectUnknownSegment },
];

export const COMPILED_BETA_ROUTES = compileRoutes(BETA_ROUTES);
