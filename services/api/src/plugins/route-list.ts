import type { FastifyInstance } from 'fastify';

export interface RegisteredRoute {
  method: string;
  url: string;
}

const routesOf = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Every route registered on an app built by buildApi (plugins' routes included), e.g. to test them all. */
export const registeredRoutes = (app: FastifyInstance): readonly RegisteredRoute[] => routesOf.get(app) ?? [];

/** Records every route registered from now on, for `registeredRoutes`. */
export function recordRoutes(app: FastifyInstance): void {
  const routes: RegisteredRoute[] = [];
  routesOf.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of ([] as string[]).concat(route.method)) routes.push({ method, url: route.url ?? route.path });
  });
}
