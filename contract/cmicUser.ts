/**
 * The value of the `cmicuser` claim CMiC reads to pick its service user.
 *
 * CMiC's own documentation ("OAuth - Client Credential Flow with CMiC"):
 *  - Enterprise: the service user's username.
 *  - Cloud: "tenant||username" (two pipes), or the service user's unique username in email format.
 * Some third-party guides show a single pipe; CMiC's text wins.
 */
import type { Deployment } from "./kinds";

export type { Deployment };

/** Separator between CMiC Cloud tenant and username: two pipe characters. */
export const CLOUD_SEPARATOR = "||";

const EMAIL_USERNAME = /^[^\s@|]+@[^\s@|]+\.[^\s@|]+$/;

export function isEmailUsername(username: string): boolean {
  return EMAIL_USERNAME.test(username);
}

export interface CmicUserInput {
  deployment: Deployment;
  serviceUser: string;
  /** CMiC Cloud tenant; when absent on Cloud, `serviceUser` must be the email-format username. */
  cmicTenant?: string;
}

/** The claim value; inputs are assumed validated (see components/settings.ts). */
export function cmicUserClaimValue({ deployment, serviceUser, cmicTenant }: CmicUserInput): string {
  if (deployment === "enterprise") return serviceUser;
  return cmicTenant ? `${cmicTenant}${CLOUD_SEPARATOR}${serviceUser}` : serviceUser;
}
