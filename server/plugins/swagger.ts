// The OpenAPI document (built from the route schemas) and Swagger UI at /docs.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';

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
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'swagger' },
);
