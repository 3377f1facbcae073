import { claimsMappingDefinition } from "../../components/claimsMapping";
import { cmicUserClaimValue, isEmailUsername } from "../../contract/cmicUser";

describe("cmicUserClaimValue", () => {
  it("is the plain username on Enterprise", () => {
    expect(cmicUserClaimValue({ deployment: "enterprise", serviceUser: "ARCORO_SVC" })).toBe("ARCORO_SVC");
  });

  it("is tenant||username (two pipes) on Cloud, as CMiC documents it", () => {
    expect(cmicUserClaimValue({ deployment: "cloud", serviceUser: "ARCORO_SVC", cmicTenant: "ACME" })).toBe("ACME||ARCORO_SVC");
  });

  it("is the email-format username alone on Cloud without a tenant", () => {
    expect(cmicUserClaimValue({ deployment: "cloud", serviceUser: "svc@acme.example" })).toBe("svc@acme.example");
  });

  it("recognises email-format usernames", () => {
    expect(isEmailUsername("svc@acme.example")).toBe(true);
    expect(isEmailUsername("ARCORO_SVC")).toBe(false);
    expect(isEmailUsername("a@b")).toBe(false);
  });
});

describe("claimsMappingDefinition", () => {
  it("emits one constant claim and keeps the basic claim set", () => {
    const definition = JSON.parse(claimsMappingDefinition("ACME||SVC"));
    expect(definition).toEqual({
      ClaimsMappingPolicy: {
        Version: 1,
        IncludeBasicClaimSet: "true",
        ClaimsSchema: [{ Value: "ACME||SVC", JwtClaimType: "cmicuser" }],
      },
    });
  });

  it("is byte-for-byte stable for the same input, so previews show no false diff", () => {
    expect(claimsMappingDefinition("SVC", "cmicuser")).toBe(claimsMappingDefinition("SVC"));
    expect(claimsMappingDefinition("SVC")).toBe(
      '{"ClaimsMappingPolicy":{"Version":1,"IncludeBasicClaimSet":"true","ClaimsSchema":[{"Value":"SVC","JwtClaimType":"cmicuser"}]}}',
    );
  });

  it("escapes quotes in usernames instead of breaking the JSON", () => {
    expect(JSON.parse(claimsMappingDefinition('O"Brien')).ClaimsMappingPolicy.ClaimsSchema[0].Value).toBe('O"Brien');
  });

  it("uses a custom claim name when CMiC is configured with one", () => {
    expect(JSON.parse(claimsMappingDefinition("SVC", "cmic_user")).ClaimsMappingPolicy.ClaimsSchema[0].JwtClaimType).toBe("cmic_user");
  });
});
