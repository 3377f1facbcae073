/**
 * A local HTTPS peer for fault tests: trusted through the emulator's CA (localhost), answering every
 * request with `handler` (which may also never answer, or destroy the socket). It counts the
 * connections it accepted and closes them all on `close()`.
 */
import type { ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { ensureTlsMaterial } from "../../emulator/tls";

export interface HttpsPeer {
  url: string;
  connections(): number;
  close(): Promise<void>;
}

export async function startHttpsPeer(handler: (response: ServerResponse) => void): Promise<HttpsPeer> {
  const tls = await ensureTlsMaterial();
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = https.createServer({ key: tls.serverKeyPem, cert: tls.serverCertPem }, (_request, response) => handler(response));
  server.on("secureConnection", (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `https://localhost:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
