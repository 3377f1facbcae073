/**
 * Which tenant the integration lives in and which domain its Application ID URI goes on: the
 * settings when they name them, otherwise what the azuread provider's sign-in reports.
 */
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import type { ValidatedSettings } from "./settings";

export interface TenantValues {
  tenantId: pulumi.Output<string>;
  /** The verified domain of the identifier URI (the tenant's initial domain by default). */
  domain: pulumi.Output<string>;
}

export function resolveTenant(settings: ValidatedSettings, opts: pulumi.InvokeOptions): TenantValues {
  const tenantId = settings.tenantId ? pulumi.output(settings.tenantId) : azuread.getClientConfigOutput(opts).tenantId;
  const domain = settings.verifiedDomain
    ? pulumi.output(settings.verifiedDomain)
    : azuread.getDomainsOutput({ onlyInitial: true }, opts).apply((result) => {
        const initial = result.domains.find((d) => d.initial) ?? result.domains[0];
        if (!initial) {
          throw new Error(
            "The tenant returned no initial domain to build the Application ID URI on. " +
              "Fix: pulumi config set cmic-entra-oauth:verifiedDomain <a verified domain of the tenant>.",
          );
        }
        return initial.domainName;
      });
  return { tenantId, domain };
}
