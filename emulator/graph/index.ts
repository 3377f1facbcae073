/**
 * Microsoft Graph v1.0, the part the project uses: organization, domains, applications, service
 * principals, claims-mapping policies and their assignment, and JSON `$batch`; and the beta
 * endpoints it reads (routes.ts BETA_ROUTES).
 *
 * The caller's tenant comes from its bearer token (`tid`), as in Graph. Reads are immediately
 * consistent; only the token endpoint models replication lag.
 */
import type { EmulatorContext } from "../context";
import { isDirectoryWrite } from "../changes";
import { errorResponse } from "../errors";
import { header, type EmulatorRequest, type EmulatorResponse } from "../http";
import { authenticate } from "./authenticate";
import type { GraphSession } from "./call";
import { findRoute, graphVersion, resourcePath } from "./router";
import { COMPILED_BETA_ROUTES, COMPILED_GRAPH_ROUTES } from "./routes";

export { BATCH_LIMIT } from "./batch";
export type { BatchedRequestRecord } from "./call";

async function route(session: GraphSession, request: EmulatorRequest, topLevel: boolean): Promise<EmulatorResponse> {
  const found = findRoute(graphVersion(request) === "beta" ? COMPILED_BETA_ROUTES : COMPILED_GRAPH_ROUTES, request, topLevel);
  // Unreachable: the table ends with a catch-all for every path.
  if (!found) throw new Error(`no Graph route for ${request.method} ${request.path}`);
  const response = await found.route.handler({
    ...session,
    store: session.context.store,
    tenant: session.caller.tenant,
    request,
    params: found.params,
    routeBatched: (inner) => route(session, inner, false),
  });
  // A `$batch` writes nothing itself: the requests it carries come through here one by one.
  if (resourcePath(request) !== "/$batch" && isDirectoryWrite(request.method, response.status)) session.onDirectoryChanged?.();
  return response;
}

/** What the server wants to hear about while Graph handles a request (the request log, change notification). */
export type GraphObserver = Pick<GraphSession, "onBatched" | "onDirectoryChanged">;

/** Handle one Graph request (already under `/v1.0` or `/beta`); errors are answered as Graph's OData errors. */
export async function handleGraph(
  context: EmulatorContext,
  request: EmulatorRequest,
  observer: GraphObserver = {},
): Promise<EmulatorResponse> {
  try {
    const caller = await authenticate(context, request);
    return await route({ context, caller, ...observer }, request, true);
  } catch (error) {
    return errorResponse(error, { dialect: "odata", now: context.store.now(), clientRequestId: header(request, "client-request-id") });
  }
}
