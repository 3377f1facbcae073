/**
 * What the Automation API hands back, read the same way by every tool that drives it (the tenant
 * test, the fleet): the secret strings among a stack's outputs, to hide them from everything
 * printed, and a change summary as one line.
 */
import type { OutputMap } from "@pulumi/pulumi/automation";

/** Every string of the stack's secret outputs, and every `clientSecret` nested in a plain one (`connector`). */
export function secretOutputValues(outputs: OutputMap): string[] {
  const found: string[] = [];
  const walk = (value: unknown, secret: boolean, key: string): void => {
    if (typeof value === "string") {
      if ((secret || key === "clientSecret") && value !== "[secret]") found.push(value);
    } else if (Array.isArray(value)) {
      for (const item of value) walk(item, secret, key);
    } else if (typeof value === "object" && value !== null) {
      for (const [childKey, child] of Object.entries(value)) walk(child, secret, childKey);
    }
  };
  for (const [key, output] of Object.entries(outputs)) {
    const value: unknown = output.value;
    walk(value, output.secret, key);
  }
  return found;
}

/** `create 10, same 1` from an op map (`changeSummary`, `resourceChanges`). */
export function changeText(changes: Readonly<Record<string, number | undefined>> | undefined, none: string): string {
  const entries = Object.entries(changes ?? {}).filter(([, count]) => typeof count === "number" && count > 0);
  return entries.length === 0 ? none : entries.map(([op, count]) => `${op} ${count}`).join(", ");
}
