/** One check of the Graph audit and its findings, with the ids, names and fields every rule shares. */
import type { DriftCheck, DriftFinding, FindingSeverity } from "../report";
import { isRecord, stringField, type BatchResponse } from "./graphValues";

export interface FindingFields {
  /** Defaults to the check's id. */
  id?: string;
  property?: string;
  expected?: string;
  actual?: string;
  message: string;
  fix: string;
}

/** Graph's error for one inner response, as one line. */
export function describeGraphError(response: BatchResponse | undefined): string {
  if (!response) return "Graph returned no answer for this request";
  const error = isRecord(response.body) && isRecord(response.body.error) ? response.body.error : undefined;
  const code = stringField(error?.code);
  const message = stringField(error?.message);
  return `Graph answered ${response.status}${code ? ` ${code}` : ""}${message ? `: ${message}` : ""}`;
}

function permissionHint(response: BatchResponse | undefined, permission: string): string {
  if (response && (response.status === 401 || response.status === 403)) {
    return `grant the pipeline's identity ${permission} (admin consent) or run drift as an identity that has it`;
  }
  return "run drift again; if it persists, check Graph's service health and the pipeline identity's permissions";
}

export class GraphCheck {
  readonly result: DriftCheck;

  constructor(
    private readonly stack: string,
    id: string,
    name: string,
    resource: string,
  ) {
    this.result = { layer: "graph", id, name: `graph: ${name}`, resource, findings: [] };
  }

  find(severity: FindingSeverity, finding: FindingFields): void {
    const result: DriftFinding = {
      stack: this.stack,
      layer: "graph",
      id: finding.id ?? this.result.id,
      severity,
      resource: this.result.resource,
      ...(finding.property !== undefined ? { property: finding.property } : {}),
      ...(finding.expected !== undefined ? { expected: finding.expected } : {}),
      ...(finding.actual !== undefined ? { actual: finding.actual } : {}),
      message: finding.message,
      fix: finding.fix,
    };
    this.result.findings.push(result);
  }

  /** Something worth saying that is no finding: it never changes the stack's status. */
  note(text: string): void {
    (this.result.notes ??= []).push(text);
  }

  /** The check's input could not be read: an error finding, so the stack never reads as clean. */
  couldNotRead(response: BatchResponse | undefined, what: string, permission: string): void {
    this.find("error", {
      id: "graph.unreadable",
      message: `could not read ${what}: ${describeGraphError(response)}`,
      fix: permissionHint(response, permission),
    });
  }
}
