import type { Server } from '@hapi/hapi';

/**
 * Makes `server` lose the client's connection (a closed tab, a dropped signal) once hapi has a
 * request that `marked` picks, just before its handler runs; returns the status codes those
 * requests were answered with, as hapi finished them.
 */
export function dropConnectionBeforeHandler(server: Server, marked: (headers: Record<string, unknown>) => boolean) {
  const answered: number[] = [];
  server.ext('onPreHandler', (request, h) => {
    if (marked(request.headers)) request.raw.req.socket.destroy();
    return h.continue;
  });
  server.events.on('response', (request) => {
    if (!marked(request.headers)) return;
    const response = request.response as { statusCode?: number; output?: { statusCode: number } };
    answered.push(response.output?.statusCode ?? response.statusCode ?? 0);
  });
  return answered;
}
