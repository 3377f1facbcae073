/**
 * Section 2 of the handoff sheet: what the connector admin enters, in the words of that
 * connector's own form (the `connectorProfile` setting). The values are the same stack outputs
 * for every connector; only their names, their form and the guidance around them differ.
 *
 * Sources of the field names:
 *  - Arcoro's Integration module: the "Token URL / Client ID / Client Secret / Scope" of the Arcoro
 *    guide (../shared/notes/entra-facts.md).
 *  - Informatica CAI's Microsoft Azure service connector: its connection properties `Resource`,
 *    `Azure_Tenant_ID`, `Client_ID`, `Client_Secret`, `Keystore_File`, `Key_Password`,
 *    `SHA1_Fingerprint` ("20 pairs … separated by a colon"), `Token_Duration_Secs`,
 *    `Keystore_Password`, `Keystore_Alias`, `Keystore_Type` (JKS or PKCS12), and its actions
 *    GetAccessTokenUsingCertificate / GetAccessTokenUsingSharedSecret
 *    (../shared/reference/004_ba614d1e6f9bcab4.txt).
 *  - generic: RFC 6749 §4.4 (client credentials grant) with Entra's v2 token endpoint and scope.
 */
import type { ConnectorProfile, StackOutputs } from "../../contract/stackOutputs";
import { colonSeparatedThumbprint } from "../shared/thumbprint";

/** The client secret as the sheet may show it, decided by the caller (masked, revealed, or not available). */
export interface SecretDisplay {
  /** Masked or revealed; null when the reader has no secret to show. */
  value: string | null;
  /** The sentence after the table: how to print it for the connector admin; null when revealed. */
  note: string | null;
}

const TITLES: Record<ConnectorProfile, string> = {
  arcoro: "## 2. Connector administrator: Arcoro Integration module → OAuth 2.0 Client Credentials",
  "informatica-cai": "## 2. Connector administrator: Informatica CAI → Microsoft Azure service connector, Connection Properties",
  generic: "## 2. Connector administrator: OAuth 2.0 client credentials (any connector)",
};

/** The command that creates a certificate and PKCS#12 keystore when the connector admin has none. */
const CONNECTOR_CERT_COMMAND = "npm run connector-cert -- --out DIR --name NAME";

export function renderConnectorSection(
  outputs: StackOutputs,
  secret: SecretDisplay,
  row: (field: string, value: string) => string,
): string[] {
  const usesSecret = outputs.credential !== "certificate";
  const usesCertificate = outputs.credential !== "secret";
  const thumbprint = outputs.connector.certificateThumbprint;
  const secretRow = usesSecret
    ? [
        secret.value
          ? row(secretField(outputs.connectorProfile), secret.value)
          : `| ${secretField(outputs.connectorProfile)} | (not shown) |`,
      ]
    : [];
  const lines = [TITLES[outputs.connectorProfile], "", "| Field | Value |", "| --- | --- |"];
  switch (outputs.connectorProfile) {
    case "arcoro":
      lines.push(
        row("Token URL", outputs.connector.tokenUrl),
        row("Client ID", outputs.connector.clientId),
        ...secretRow,
        row("Scope", outputs.connector.scope),
      );
      if (thumbprint) lines.push(row("Certificate thumbprint (SHA-1)", thumbprint));
      break;
    case "informatica-cai":
      lines.push(
        row("Resource", outputs.identifierUri),
        row("Azure_Tenant_ID", outputs.tenantId),
        row("Client_ID", outputs.connector.clientId),
        ...secretRow,
      );
      if (usesCertificate) {
        lines.push(
          thumbprint
            ? row("SHA1_Fingerprint", colonSeparatedThumbprint(thumbprint))
            : "| SHA1_Fingerprint | (no certificate on the stack yet) |",
          row("Keystore_Type", "PKCS12"),
          "| Keystore_File | the `.p12` file's path on the Secure Agent machine |",
          "| Keystore_Alias | the key entry's alias (required if the keystore holds more than one entry) |",
          "| Key_Password, Keystore_Password | the keystore's password (never in this sheet; it travels with the keystore) |",
        );
      }
      break;
    case "generic":
      lines.push(
        row("Grant type", "client_credentials"),
        row("Token URL", outputs.connector.tokenUrl),
        row("Client ID", outputs.connector.clientId),
        ...secretRow,
        row("Scope", outputs.connector.scope),
        row("Tenant ID", outputs.tenantId),
        row("Resource / audience (v1 `resource` parameter)", outputs.identifierUri),
      );
      if (thumbprint) {
        lines.push(
          row("Certificate thumbprint (SHA-1)", thumbprint),
          row("Certificate thumbprint (SHA-1, with colons)", colonSeparatedThumbprint(thumbprint)),
        );
      }
      break;
  }
  lines.push("");
  if (usesSecret && secret.note) lines.push(secret.note);
  if (outputs.certificateExpiresAt) lines.push(`The certificate expires ${outputs.certificateExpiresAt}.`);
  lines.push(...guidance(outputs, usesSecret, usesCertificate), "");
  return lines;
}

function secretField(profile: ConnectorProfile): string {
  return profile === "informatica-cai" ? "Client_Secret" : "Client Secret";
}

function guidance(outputs: StackOutputs, usesSecret: boolean, usesCertificate: boolean): string[] {
  switch (outputs.connectorProfile) {
    case "arcoro":
      return [];
    case "informatica-cai": {
      const action = usesCertificate
        ? "Use the action **GetAccessTokenUsingCertificate**" +
          (usesSecret ? " (or GetAccessTokenUsingSharedSecret with Client_Secret)" : "; leave Client_Secret blank")
        : "Use the action **GetAccessTokenUsingSharedSecret**";
      const lines = [
        "",
        `${action}. \`Resource\` is the Application ID URI: Entra issues the token for it, with the same claims as the Scope \`${outputs.connector.scope}\` other connectors ask for.`,
      ];
      if (usesCertificate) {
        lines.push(
          "",
          "The keystore (JKS or PKCS#12, `.jks` or `.p12`) must hold the certificate above and its private key. " +
            `If the connector admin has none, \`${CONNECTOR_CERT_COMMAND}\` creates both: a PKCS#12 keystore and its password (files readable only by you; hand them over securely, then delete them) ` +
            "and the public certificate, which goes into the stack (`pulumi config set cmic-entra-oauth:certificate < DIR/NAME.cer.pem`, then `pulumi up`). " +
            "Keep `Token_Duration_Secs` short (300 is plenty): it is the lifetime of the signed assertion, not of the access token.",
        );
      } else {
        lines.push(
          "",
          `To authenticate with a certificate instead (Informatica's X.509 option), \`${CONNECTOR_CERT_COMMAND}\` creates a keystore and its certificate; ` +
            "set `credential` to `certificate` (or `both`) with that certificate and run `pulumi up`.",
        );
      }
      return lines;
    }
    case "generic":
      return [
        "",
        "The connector posts `grant_type=client_credentials`, `client_id`, and the secret (`client_secret`) or a signed certificate assertion " +
          "(`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`) to the Token URL with the Scope above. " +
          "A connector that speaks Entra's older v1 endpoint (`/oauth2/token`) sends the Resource instead of the Scope; the token is the same. " +
          `The token's issuer and keys are CMiC's registration values (section 1); the token is v${outputs.accessTokenVersion}.`,
      ];
  }
}
