/**
 * Removing secrets from anything a tool prints: known values verbatim, and by shape what nobody
 * named (tokens, bearer headers, secret form fields, private keys, Entra client secrets). Pure and
 * light, so the CLI kernel applies it to every error it prints.
 */

/** Anything shaped like a compact JWS/JWT (three base64url parts, header starting `eyJ`). */
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const SECRET_PARAMS = /((?:client_secret|client_assertion|access_token|password)=)[^&\s"']+/gi;
const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
const PEM_BLOCK = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;
/**
 * An Entra client secret by its documented shape: three characters, a digit, `Q~`, then 31 to 34
 * more (the pattern secret scanners use, e.g. gitleaks' `azure-ad-client-secret` rule). It catches a
 * secret nobody told us about: one pasted into the wrong flag, or echoed by an upstream error.
 */
const ENTRA_CLIENT_SECRET = /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])/g;

/**
 * Remove tokens, secrets and private keys from a text meant for output. Known secret values are
 * replaced verbatim; JWT-shaped strings, bearer headers, secret form fields and PEM private keys
 * generically, so an unexpected echo in an upstream error cannot leak one either.
 */
export function redact(text: string, secrets: ReadonlyArray<string | null | undefined> = []): string {
  let result = text;
  for (const secret of secrets) {
    // Very short "secrets" would blank out ordinary words; real secrets are long.
    if (secret && secret.length >= 8) result = result.split(secret).join("[redacted]");
  }
  return result
    .replace(PEM_BLOCK, "[private key redacted]")
    .replace(JWT_LIKE, "[token redacted]")
    .replace(BEARER, "$1[redacted]")
    .replace(SECRET_PARAMS, "$1[redacted]")
    .replace(ENTRA_CLIENT_SECRET, "[secret redacted]");
}

/** A redactor bound to known secrets, for passing down into code that formats error texts. */
export function redactorFor(secrets: ReadonlyArray<string | null | undefined>): (text: string) => string {
  return (text) => redact(text, secrets);
}
