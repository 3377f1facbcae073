import {
  SettingsError,
  isValidatedSettings,
  settingsFromConfig,
  validateIntegrationSettings,
  type IntegrationSettings,
} from "../../components/settings";
import { CmicError } from "../../contract/errors";

const context = { stack: "acme-prod", now: new Date("2026-11-23T00:00:00Z") };
const TENANT = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

function settingsErrorOf(settings: IntegrationSettings): SettingsError {
  try {
    validateIntegrationSettings(settings, context);
  } catch (error) {
    if (error instanceof SettingsError) return error;
    throw error;
  }
  throw new Error("expected a SettingsError");
}

/** The problems as the lines the error message lists. */
function problemsOf(settings: IntegrationSettings): string[] {
  return settingsErrorOf(settings).problemLines;
}

function fromConfig(values: Record<string, string>, tenant: Record<string, string> = {}) {
  return settingsFromConfig(
    (key) => values[key],
    (key) => tenant[key],
    context,
  );
}

describe("validateIntegrationSettings", () => {
  it("applies the documented defaults", () => {
    const settings = validateIntegrationSettings({ deployment: "enterprise", serviceUser: "ARCORO_SVC" }, context);
    expect(settings).toMatchObject({
      claimSource: "token",
      claimName: "cmicuser",
      credential: "secret",
      secretLifetimeDays: 180,
      handoverDays: 30,
      displayName: "CMiC integration (acme-prod)",
      identifierUriFormat: "api://{clientId}.{domain}",
      owners: [],
      protect: true,
      postDeployCheck: true,
      verifiedDomain: null,
      tenantId: null,
      certificate: null,
    });
  });

  it("requires deployment and names the allowed values and the command", () => {
    const [problem] = problemsOf({ serviceUser: "SVC" } as IntegrationSettings);
    expect(problem).toContain("cmic-entra-oauth:deployment is required (one of enterprise, cloud)");
    expect(problem).toContain("pulumi config set cmic-entra-oauth:deployment enterprise");
  });

  it.each([
    ["deployment", { deployment: "enterprize", serviceUser: "SVC" }, "is 'enterprize', which is not one of enterprise, cloud"],
    [
      "claimSource",
      { deployment: "enterprise", serviceUser: "SVC", claimSource: "claim" },
      "is 'claim', which is not one of token, registration",
    ],
    [
      "credential",
      { deployment: "enterprise", serviceUser: "SVC", credential: "password" },
      "is 'password', which is not one of secret, certificate, both",
    ],
  ])("rejects an unknown %s", (key, settings, message) => {
    const problems = problemsOf(settings as IntegrationSettings);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`cmic-entra-oauth:${key} ${message}`);
  });

  it("requires the service user when the claim is in the token, but not with claimSource=registration", () => {
    expect(problemsOf({ deployment: "enterprise" })[0]).toContain("cmic-entra-oauth:serviceUser is required");
    expect(validateIntegrationSettings({ deployment: "enterprise", claimSource: "registration" }, context).serviceUser).toBeNull();
  });

  it.each([
    ["   ", "is empty or only whitespace"],
    ["", "is empty or only whitespace"],
    [" SVC", "has leading or trailing spaces"],
    ["A|B", "contains '|'"],
    ["SV\tC", "contains control characters"],
  ])("rejects the service user %j", (serviceUser, message) => {
    expect(problemsOf({ deployment: "enterprise", serviceUser })[0]).toContain(`cmic-entra-oauth:serviceUser ${message}`);
  });

  it("rejects a pipe inside the CMiC tenant", () => {
    expect(problemsOf({ deployment: "cloud", serviceUser: "SVC", cmicTenant: "AC|ME" })[0]).toContain(
      "cmic-entra-oauth:cmicTenant contains '|'",
    );
  });

  it("requires the tenant on Cloud unless the username is in email format", () => {
    const [problem] = problemsOf({ deployment: "cloud", serviceUser: "SVC" });
    expect(problem).toContain("cmic-entra-oauth:cmicTenant is required on CMiC Cloud");
    expect(problem).toContain("'tenant||SVC'");
    expect(validateIntegrationSettings({ deployment: "cloud", serviceUser: "svc@acme.example" }, context).cmicTenant).toBeNull();
  });

  it("refuses a CMiC tenant on Enterprise, where it would be silently ignored", () => {
    expect(problemsOf({ deployment: "enterprise", serviceUser: "SVC", cmicTenant: "ACME" })[0]).toContain(
      "only CMiC Cloud prefixes the tenant",
    );
  });

  it.each(["https://contoso.com", "contoso", "contoso.com/api", "contoso.com:443", "-bad.com", "con toso.com"])(
    "rejects the verified domain %j",
    (verifiedDomain) => {
      expect(problemsOf({ deployment: "enterprise", serviceUser: "SVC", verifiedDomain })[0]).toContain(
        "cmic-entra-oauth:verifiedDomain is",
      );
    },
  );

  it("accepts and lower-cases a domain name", () => {
    expect(
      validateIntegrationSettings({ deployment: "enterprise", serviceUser: "SVC", verifiedDomain: "Contoso.COM" }, context).verifiedDomain,
    ).toBe("contoso.com");
  });

  it.each([0, 731, 12.5, -3])("rejects a secret lifetime of %p days", (secretLifetimeDays) => {
    expect(problemsOf({ deployment: "enterprise", serviceUser: "SVC", secretLifetimeDays })[0]).toContain(
      "whole number of days from 1 to 730",
    );
  });

  it.each([
    [{ handoverDays: -1 }, "handoverDays is -1; it must be a whole number of days, 0 or more"],
    [{ handoverDays: 2.5 }, "handoverDays is 2.5; it must be a whole number of days, 0 or more"],
    [{ handoverDays: 30, secretLifetimeDays: 30 }, "handoverDays is 30, not shorter than secretLifetimeDays (30)"],
  ])("rejects the handover window %p", (window, message) => {
    const problems = problemsOf({ deployment: "enterprise", serviceUser: "SVC", ...window });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it("caps the default handover window below a shorter lifetime, and takes 0", () => {
    const of = (extra: { secretLifetimeDays?: number; handoverDays?: number }) =>
      validateIntegrationSettings({ deployment: "enterprise", serviceUser: "SVC", ...extra }, context).handoverDays;
    expect(of({ secretLifetimeDays: 20 })).toBe(19);
    expect(of({ secretLifetimeDays: 1 })).toBe(0);
    expect(of({ secretLifetimeDays: 30, handoverDays: 0 })).toBe(0);
    expect(of({ secretLifetimeDays: 30, handoverDays: 29 })).toBe(29);
  });

  it("accepts the limits 1 and 730", () => {
    expect(
      validateIntegrationSettings({ deployment: "enterprise", serviceUser: "SVC", secretLifetimeDays: 1 }, context).secretLifetimeDays,
    ).toBe(1);
    expect(
      validateIntegrationSettings({ deployment: "enterprise", serviceUser: "SVC", secretLifetimeDays: 730 }, context).secretLifetimeDays,
    ).toBe(730);
  });

  it("rejects owners that are not object ids, and duplicates", () => {
    const problems = problemsOf({
      deployment: "enterprise",
      serviceUser: "SVC",
      owners: ["admin@contoso.com", TENANT, TENANT.toUpperCase()],
    });
    expect(problems[0]).toContain("has 'admin@contoso.com', which is not an object id");
    expect(problems[1]).toContain("lists the same object id twice");
  });

  it("rejects a tenant id that is not a GUID and names the azuread key", () => {
    expect(problemsOf({ deployment: "enterprise", serviceUser: "SVC", tenantId: "contoso.onmicrosoft.com" })[0]).toContain(
      "pulumi config set azuread:tenantId",
    );
  });

  it("requires a certificate for certificate credentials and refuses one for secret-only", () => {
    expect(problemsOf({ deployment: "enterprise", serviceUser: "SVC", credential: "certificate" })[0]).toContain(
      "cmic-entra-oauth:certificate is required when credential is 'certificate'",
    );
    expect(problemsOf({ deployment: "enterprise", serviceUser: "SVC", credential: "both" })[0]).toContain(
      "is required when credential is 'both'",
    );
  });

  it("rejects text that is not a PEM certificate", () => {
    expect(problemsOf({ deployment: "enterprise", serviceUser: "SVC", credential: "certificate", certificate: "MIIB..." })[0]).toContain(
      "is not a PEM certificate",
    );
  });

  it("rejects restricted or malformed claim names", () => {
    expect(problemsOf({ deployment: "enterprise", serviceUser: "SVC", claimName: "appid" })[0]).toContain("a claim Entra reserves");
    expect(problemsOf({ deployment: "enterprise", serviceUser: "SVC", claimName: "cmic user" })[0]).toContain("not a valid JWT claim name");
  });

  it("rejects identifier URI formats Entra or CMiC would refuse", () => {
    expect(problemsOf({ deployment: "enterprise", serviceUser: "SVC", identifierUriFormat: "urn:cmic" })[0]).toContain(
      "starts with api:// or https://",
    );
    expect(problemsOf({ deployment: "enterprise", serviceUser: "SVC", identifierUriFormat: "api://{clientId}/" })[0]).toContain(
      "no trailing slash",
    );
    expect(problemsOf({ deployment: "enterprise", serviceUser: "SVC", identifierUriFormat: "api://cmic.contoso.com" })[0]).toContain(
      "names neither {domain} nor {clientId}",
    );
  });

  it("keeps the URI on the verified domain when the token carries mapped claims (AADSTS501461)", () => {
    const [problem] = problemsOf({ deployment: "enterprise", serviceUser: "SVC", identifierUriFormat: "api://{clientId}" });
    expect(problem).toContain("AADSTS501461");
    expect(problem).toContain("keep {domain} in the host");
    expect(problemsOf({ deployment: "enterprise", serviceUser: "SVC", identifierUriFormat: "https://{clientId}/{domain}" })[0]).toContain(
      "whose host is not on the verified domain",
    );
    // Without the claim (CMiC after Patch 22) the audience may be the bare GUID form.
    expect(
      validateIntegrationSettings(
        { deployment: "enterprise", claimSource: "registration", identifierUriFormat: "api://{clientId}" },
        context,
      ).identifierUriFormat,
    ).toBe("api://{clientId}");
    expect(
      validateIntegrationSettings(
        { deployment: "enterprise", serviceUser: "SVC", identifierUriFormat: "https://{domain}/cmic-{clientId}" },
        context,
      ).identifierUriFormat,
    ).toBe("https://{domain}/cmic-{clientId}");
  });

  it("reports every problem at once", () => {
    const { problems } = settingsErrorOf({ deployment: "cloud", serviceUser: " x", secretLifetimeDays: 0, verifiedDomain: "bad" });
    expect(problems.length).toBeGreaterThanOrEqual(3);
    expect(new Error(new SettingsError(problems).message).message).toContain("nothing was changed in Entra");
  });
});

describe("settingsFromConfig", () => {
  it("reads the stack config strings the Pulumi CLI stores", () => {
    const settings = fromConfig(
      {
        deployment: "cloud",
        serviceUser: "ARCORO_SVC",
        cmicTenant: "ACME",
        secretLifetimeDays: "90",
        owners: JSON.stringify([TENANT]),
        protect: "false",
        postDeployCheck: "false",
        verifiedDomain: "",
      },
      { tenantId: TENANT },
    );
    expect(settings).toEqual(
      expect.objectContaining({
        deployment: "cloud",
        serviceUser: "ARCORO_SVC",
        cmicTenant: "ACME",
        secretLifetimeDays: 90,
        owners: [TENANT],
        protect: false,
        postDeployCheck: false,
        verifiedDomain: null,
        tenantId: TENANT,
      }),
    );
  });

  it("treats Pulumi.yaml's empty defaults as unset", () => {
    const settings = fromConfig({
      deployment: "enterprise",
      claimSource: "registration",
      serviceUser: "",
      cmicTenant: "",
      certificate: "",
      displayName: "",
    });
    expect(settings.serviceUser).toBeNull();
    expect(settings.displayName).toBe("CMiC integration (acme-prod)");
  });

  it("accepts owners as a comma-separated list", () => {
    expect(
      fromConfig({ deployment: "enterprise", serviceUser: "S", owners: `${TENANT}, ${TENANT.replace("3f", "4f")}` }).owners,
    ).toHaveLength(2);
  });

  it("reports type errors together with rule violations", () => {
    expect.assertions(3);
    try {
      fromConfig({ deployment: "enterprise", serviceUser: " ", secretLifetimeDays: "six months", protect: "yes" });
    } catch (error) {
      const problems = (error as SettingsError).problemLines;
      expect(problems.some((p) => p.includes("secretLifetimeDays is 'six months', which is not a whole number"))).toBe(true);
      expect(problems.some((p) => p.includes("protect is 'yes', which is not true or false"))).toBe(true);
      expect(problems.some((p) => p.includes("serviceUser is empty or only whitespace"))).toBe(true);
    }
  });

  it("rejects owners that are not a list of strings", () => {
    expect(() => fromConfig({ deployment: "enterprise", serviceUser: "S", owners: "[1,2]" })).toThrow(
      "owners is '[1,2]', which is not a list of strings",
    );
  });
});

describe("SettingsError", () => {
  it("is a CmicError with a stable code and one record per problem, rendered into the message", () => {
    const error = settingsErrorOf({ deployment: "enterprise", serviceUser: " SVC", secretLifetimeDays: 0 });
    expect(error).toBeInstanceOf(CmicError);
    expect(error).toMatchObject({ name: "SettingsError", code: "ERR_SETTINGS", exitCode: 1, fix: undefined });
    expect(error.problems).toEqual([
      {
        key: "serviceUser",
        message: "has leading or trailing spaces (' SVC'); CMiC would not find that CMiC username",
        fix: "pulumi config set cmic-entra-oauth:serviceUser 'SVC'",
      },
      {
        key: "secretLifetimeDays",
        message: "is 0; it must be a whole number of days from 1 to 730",
        fix: "pulumi config set cmic-entra-oauth:secretLifetimeDays 180",
      },
    ]);
    expect(error.message).toBe(
      "Invalid cmic-entra-oauth settings (nothing was changed in Entra):\n" +
        "  - cmic-entra-oauth:serviceUser has leading or trailing spaces (' SVC'); CMiC would not find that CMiC username. Fix: pulumi config set cmic-entra-oauth:serviceUser 'SVC'\n" +
        "  - cmic-entra-oauth:secretLifetimeDays is 0; it must be a whole number of days from 1 to 730. Fix: pulumi config set cmic-entra-oauth:secretLifetimeDays 180",
    );
  });

  it("lists config type errors before rule violations, as records", () => {
    expect.assertions(1);
    try {
      fromConfig({ deployment: "enterprise", serviceUser: " ", protect: "yes" });
    } catch (error) {
      expect((error as SettingsError).problems.map((problem) => problem.key)).toEqual(["protect", "serviceUser"]);
    }
  });
});

describe("validated settings", () => {
  it("are frozen and recognised; a copy or a cast look-alike is not", () => {
    const settings = fromConfig({ deployment: "enterprise", serviceUser: "SVC", owners: TENANT });
    expect(isValidatedSettings(settings)).toBe(true);
    expect(Object.isFrozen(settings)).toBe(true);
    expect(Object.isFrozen(settings.owners)).toBe(true);
    expect(isValidatedSettings({ ...settings })).toBe(false);
    expect(isValidatedSettings({ deployment: "enterprise", serviceUser: "SVC" })).toBe(false);
    expect(isValidatedSettings(validateIntegrationSettings({ deployment: "enterprise", serviceUser: "SVC" }, context))).toBe(true);
  });
});
