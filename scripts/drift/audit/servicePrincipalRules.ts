/** Rules about the service principal (the Enterprise application). */
import type { DriftCheck } from "../report";
import { GraphCheck } from "./graphCheck";
import type { AuditSubject } from "./subject";

/** graph.sp.exists: deleted (404) or unreadable. */
export function servicePrincipalExistsRule(subject: AuditSubject): DriftCheck {
  const check = new GraphCheck(subject.stack, "graph.sp.exists", "service principal exists", subject.labels.sp);
  if (subject.answers.sp?.status === 404) {
    check.find("drift", {
      id: "graph.sp.deleted",
      message:
        "the service principal (Enterprise application) was deleted: token requests fail (AADSTS7000229 / AADSTS500011) and the claims policy assignment is gone with it",
      fix: `run \`${subject.commands.up}\` to create the service principal and assign the claims-mapping policy again`,
    });
  } else if (!subject.sp) {
    check.couldNotRead(subject.answers.sp, "the service principal", "Application.Read.All");
  }
  return check.result;
}
