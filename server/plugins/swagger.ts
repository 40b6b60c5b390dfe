// The OpenAPI document (built from the route schemas) and Swagger UI at /docs.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import securityHeaders from './securityHeaders.js';

export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'brewstream',
          description: 'Predicts a beer bitterness (IBU) with the current champion model',
          version: '0.1.0',
        },
        components: {
          securitySchemes: { apiKey: { type: 'apiKey', name: 'x-api-key', in: 'header' } },
        },
      },
    });
    // The page and its files in a context of their own, with the pages' security headers.
    await app.register(async (ui) => {
      await ui.register(securityHeaders);
      await ui.register(swaggerUi, { routePrefix: '/docs' });
    });
  },
  { name: 'swagger' },
);
