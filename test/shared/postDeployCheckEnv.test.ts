/** The one reader of the post-deploy check's environment (contract/postDeployCheck.ts). */
import {
  AUTHORITY_HOST_ENV,
  CHECK_AT_ENV,
  CLIENT_CERTIFICATE_FILE_ENV,
  CLIENT_SECRET_ENV,
  PROPAGATION_WINDOW_ENV,
  readPostDeployCheckEnv,
  STACK_OUTPUTS_ENV,
} from "../../contract/postDeployCheck";

describe("readPostDeployCheckEnv", () => {
  it("reads every variable the check hands over", () => {
    expect(
      readPostDeployCheckEnv({
        [STACK_OUTPUTS_ENV]: '{"tenantId":"t"}',
        [CLIENT_SECRET_ENV]: "s3cret-value",
        [CLIENT_CERTIFICATE_FILE_ENV]: "/tmp/connector.pem",
        [AUTHORITY_HOST_ENV]: "https://localhost:8443",
        [PROPAGATION_WINDOW_ENV]: "20",
        [CHECK_AT_ENV]: "2027-06-01T09:00:00.000Z",
      }),
    ).toEqual({
      stackOutputsJson: '{"tenantId":"t"}',
      clientSecret: "s3cret-value",
      certificateFile: "/tmp/connector.pem",
      authorityHost: "https://localhost:8443",
      propagationWindowSeconds: "20",
      checkAt: "2027-06-01T09:00:00.000Z",
    });
  });

  it("counts an empty variable as absent, as shells and CI export unset values", () => {
    const empty = {
      stackOutputsJson: null,
      clientSecret: null,
      certificateFile: null,
      authorityHost: null,
      propagationWindowSeconds: null,
      checkAt: null,
    };
    expect(readPostDeployCheckEnv({})).toEqual(empty);
    expect(
      readPostDeployCheckEnv({
        [STACK_OUTPUTS_ENV]: "",
        [CLIENT_SECRET_ENV]: "",
        [CLIENT_CERTIFICATE_FILE_ENV]: "",
        [AUTHORITY_HOST_ENV]: "",
        [PROPAGATION_WINDOW_ENV]: "",
        [CHECK_AT_ENV]: "",
      }),
    ).toEqual(empty);
  });
});
