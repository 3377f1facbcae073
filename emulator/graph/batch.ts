/** JSON `$batch`: up to {@link BATCH_LIMIT} requests in one round trip, answered in order. */
import { errorResponse, graphError } from "../errors";
import { header, json, type EmulatorRequest, type EmulatorResponse } from "../http";
import { parseJsonBody, type GraphCall, type GraphHandler } from "./call";
import { isObject } from "./objects";

export const BATCH_LIMIT = 20;

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

interface BatchItemResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

function parseBatch(request: EmulatorRequest): BatchItem[] {
  const body = parseJsonBody(request);
  const requests = body.requests;
  if (!Array.isArray(requests)) throw graphError(400, "BadRequest", "Invalid batch payload format: 'requests' must be an array.");
  if (requests.length > BATCH_LIMIT) {
    throw graphError(
      400,
      "BadRequest",
      `Invalid batch payload format: at most ${BATCH_LIMIT} requests are allowed in one $batch (got ${requests.length}).`,
    );
  }
  const ids = new Set<string>();
  return requests.map((item, index) => {
    if (!isObject(item) || typeof item.id !== "string" || typeof item.method !== "string" || typeof item.url !== "string") {
      throw graphError(400, "BadRequest", `Invalid batch payload format: request ${index} needs string 'id', 'method' and 'url'.`);
    }
    if (ids.has(item.id)) throw graphError(400, "BadRequest", `Invalid batch payload format: duplicate request id '${item.id}'.`);
    ids.add(item.id);
    const headers: Record<string, string> = {};
    if (isObject(item.headers)) for (const [name, value] of Object.entries(item.headers)) headers[name.toLowerCase()] = String(value);
    return { id: item.id, method: item.method.toUpperCase(), url: item.url, headers, body: item.body };
  });
}

/** Graph's relative batch URL (`/applications`, `applications`, or `/v1.0/applications`) as a request. */
function innerRequest(outer: EmulatorRequest, item: BatchItem): EmulatorRequest {
  const relative = item.url.replace(/^\/?(v1\.0\/)?/, "");
  const url = new URL(`/v1.0/${relative}`, "https://graph.invalid");
  let body: Buffer = Buffer.alloc(0);
  if (item.body !== undefined) {
    // Graph requires an explicit Content-Type for any inner body.
    if (!item.headers["content-type"])
      throw graphError(400, "BadRequest", `Write request id : ${item.id} does not contain Content-Type header or body.`);
    body = Buffer.from(typeof item.body === "string" ? item.body : JSON.stringify(item.body), "utf8");
  }
  return {
    method: item.method,
    path: decodeURIComponent(url.pathname),
    query: url.searchParams,
    headers: { ...item.headers, authorization: outer.headers.authorization },
    body,
    // An inner request arrives on the batch's connection.
    peerAddress: outer.peerAddress,
  };
}

/** One inner request: routed as the caller, its failure becoming its own response, never the batch's. */
async function runItem(call: GraphCall, item: BatchItem): Promise<BatchItemResponse> {
  let inner: EmulatorRequest | undefined;
  let response: EmulatorResponse;
  try {
    inner = innerRequest(call.request, item);
    response = await call.routeBatched(inner);
  } catch (error) {
    response = errorResponse(error, {
      dialect: "odata",
      now: call.store.now(),
      clientRequestId: header(inner ?? call.request, "client-request-id"),
    });
  }
  call.onBatched?.({ method: item.method, path: inner?.path ?? item.url, status: response.status });
  return {
    id: item.id,
    status: response.status,
    headers: response.body === undefined ? {} : { "Content-Type": "application/json" },
    ...(response.body === undefined ? {} : { body: response.body }),
  };
}

export const postBatch: GraphHandler = async (call) => {
  const items = parseBatch(call.request);
  const responses: BatchItemResponse[] = [];
  for (const item of items) responses.push(await runItem(call, item));
  return json(200, { responses });
};

export const batchAcceptsPostOnly: GraphHandler = () => {
  throw graphError(405, "BadRequest", "$batch accepts POST only.");
};
