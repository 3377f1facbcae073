/**
 * The sandbox's providers: one ResourceModel per resource type the program declares, each doing to
 * the (emulated) tenant what the real provider does, at the versions package.json pins. The engine
 * (scripts/sandbox/engine/) looks a type up here; a type without a model is not emulated.
 */
import { applicationModel } from "./application";
import { applicationCertificateModel } from "./applicationCertificate";
import { applicationIdentifierUriModel } from "./applicationIdentifierUri";
import { applicationPasswordModel } from "./applicationPassword";
import { claimsMappingPolicyModel } from "./claimsMappingPolicy";
import { claimsMappingPolicyAssignmentModel } from "./claimsMappingPolicyAssignment";
import { commandModel } from "./command";
import { rotatingModel } from "./rotating";
import type { Schema } from "./schema";
import { servicePrincipalModel } from "./servicePrincipal";
import type { ResourceModel } from "./types";

export { renameResourceError, type ContextExtras } from "./support";
export { diffRotating } from "./rotating";

/** A model with its property table (docs/provider-model.md is checked against these). */
export type DocumentedModel = ResourceModel & { readonly schema: Schema };

export const PROVIDER_MODELS: Readonly<Record<string, DocumentedModel>> = Object.fromEntries(
  [
    applicationModel,
    applicationIdentifierUriModel,
    servicePrincipalModel,
    applicationPasswordModel,
    applicationCertificateModel,
    claimsMappingPolicyModel,
    claimsMappingPolicyAssignmentModel,
    rotatingModel,
    commandModel,
  ].map((model) => [model.type, model]),
);

export function modelFor(type: string): ResourceModel | undefined {
  return Object.hasOwn(PROVIDER_MODELS, type) ? PROVIDER_MODELS[type] : undefined;
}
