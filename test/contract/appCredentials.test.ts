/** Sorting an app's credentials into the roles rotation gives them: the one module handoff, rotate and drift share. */
import { appCredentialsOf, credentialRoles, MANAGED_SECRET_DISPLAY_NAME, thumbprintOf } from "../../contract/appCredentials";

const NOW = new Date("2027-03-01T00:00:00Z");
const secret = (keyId: string, displayName: string | null, endDateTime: string) => ({ keyId, displayName, endDateTime });

const application = {
  passwordCredentials: [
    secret("CURRENT-1", MANAGED_SECRET_DISPLAY_NAME, "2027-06-01T00:00:00Z"),
    secret("prev-2", MANAGED_SECRET_DISPLAY_NAME, "2027-04-01T00:00:00Z"),
    secret("prev-1", MANAGED_SECRET_DISPLAY_NAME, "2027-03-15T00:00:00Z"),
    secret("old", MANAGED_SECRET_DISPLAY_NAME, "2027-02-01T00:00:00Z"),
    secret("by-hand", "Arcoro test", "2028-01-01T00:00:00Z"),
    { displayName: "no key id" },
  ],
  keyCredentials: [
    { keyId: "cert-new", customKeyIdentifier: "52ED9B5038A47B9E2E2190715CC238359D4F8F73", endDateTime: "2028-01-01T00:00:00Z" },
    {
      keyId: "cert-old",
      customKeyIdentifier: Buffer.from("00112233445566778899aabbccddeeff00112233", "hex").toString("base64"),
      endDateTime: null,
    },
  ],
};

describe("credentialRoles", () => {
  const roles = credentialRoles(
    appCredentialsOf(application),
    { secretKeyId: "current-1", credentialKeyIds: ["current-1", "CERT-NEW"] },
    NOW,
  );

  it("finds the current secret case-insensitively, and previous managed secrets still valid, soonest end first", () => {
    expect(roles.current?.keyId).toBe("CURRENT-1");
    expect(roles.previous.map((credential) => credential.keyId)).toEqual(["prev-1", "prev-2"]);
    expect(roles.expired.map((credential) => credential.keyId)).toEqual(["old"]);
  });

  it("never counts a secret with another display name as the stack's", () => {
    expect(roles.foreignSecrets.map((credential) => credential.keyId)).toEqual(["by-hand"]);
  });

  it("splits certificates into the stack's and the others", () => {
    expect(roles.stackCertificates.map((credential) => credential.keyId)).toEqual(["cert-new"]);
    expect(roles.otherCertificates.map((credential) => credential.keyId)).toEqual(["cert-old"]);
  });
});

describe("thumbprintOf", () => {
  it("reads Graph's customKeyIdentifier as hex or as an OData base64 binary", () => {
    const [current, old] = appCredentialsOf(application).filter((credential) => credential.kind === "certificate");
    expect(thumbprintOf(current)).toBe("52ED9B5038A47B9E2E2190715CC238359D4F8F73");
    expect(thumbprintOf(old)).toBe("00112233445566778899AABBCCDDEEFF00112233");
    expect(thumbprintOf({ ...old, customKeyIdentifier: "not a thumbprint" })).toBeNull();
  });
});
