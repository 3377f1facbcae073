/**
 * The names of the stack's config keys, checked before anything else: `pulumi config` stores any key
 * it is given, so a typo (`secretLifetimeDay`, `cmic-entra-oath:credential`) would be ignored and
 * the default deployed. A key in this project's namespace that is not a setting stops the run; a
 * key in a namespace no part of the program reads, and that looks like this project's, is warned
 * about (it may belong to another tool, so it cannot be an error).
 */
import { CONFIG_NAMESPACE } from "../contract/kinds";
import type { ProblemList } from "./settingsProblems";

/** Every setting in the project's namespace (Pulumi.yaml's `config:` declares the same list). */
export const SETTING_KEYS = [
  "deployment",
  "serviceUser",
  "cmicTenant",
  "verifiedDomain",
  "identifierUriFormat",
  "claimSource",
  "claimName",
  "credential",
  "certificate",
  "secretLifetimeDays",
  "handoverDays",
  "displayName",
  "owners",
  "protect",
  "postDeployCheck",
  "postDeployCertificateFile",
  "accessTokenVersion",
  "connectorProfile",
  "azureCloud",
  "optionalClaims",
] as const;

/** Namespaces something in the program reads: ours, the providers', and Pulumi's own. */
const KNOWN_NAMESPACES = [CONFIG_NAMESPACE, "azuread", "time", "command", "pulumi"];

/** Edit distance (insertions, deletions, substitutions), for "did you mean". */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

function closest(name: string, candidates: readonly string[]): string | null {
  const ranked = candidates.map((candidate) => ({ candidate, distance: editDistance(name.toLowerCase(), candidate.toLowerCase()) }));
  ranked.sort((x, y) => x.distance - y.distance);
  const best = ranked[0];
  return best && best.distance <= Math.max(2, Math.floor(name.length / 3)) ? best.candidate : null;
}

/**
 * Checks every fully qualified key (`namespace:name`) of the stack's config. Unknown names in the
 * project's namespace go into `problems`; look-alike namespaces come back as warnings.
 */
export function checkConfigKeys(keys: readonly string[], problems: ProblemList): string[] {
  const warnings: string[] = [];
  for (const key of keys) {
    const separator = key.indexOf(":");
    if (separator === -1) continue;
    const namespace = key.slice(0, separator);
    const name = key.slice(separator + 1);
    if (namespace === CONFIG_NAMESPACE) {
      if ((SETTING_KEYS as readonly string[]).includes(name)) continue;
      const suggestion = closest(name, SETTING_KEYS);
      problems.add(
        name,
        `is not a setting of this project${suggestion ? ` (did you mean ${suggestion}?)` : ""}; its value would be ignored`,
        `pulumi config rm ${key}${suggestion ? ` && pulumi config set ${CONFIG_NAMESPACE}:${suggestion} <value>` : ""} (settings: ${SETTING_KEYS.join(", ")})`,
      );
    } else if (!KNOWN_NAMESPACES.includes(namespace) && (editDistance(namespace, CONFIG_NAMESPACE) <= 3 || namespace.includes("cmic"))) {
      const setting = closest(name, SETTING_KEYS) ?? name;
      warnings.push(
        `config key '${key}' is in namespace '${namespace}', which this project does not read, so its value is ignored and the default deployed. ` +
          `Fix: pulumi config rm ${key} && pulumi config set ${CONFIG_NAMESPACE}:${setting} <value>`,
      );
    }
  }
  return warnings;
}
