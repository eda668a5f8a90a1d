import { INestApplication } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ConfigService } from '@nestjs/config';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { HttpConfig } from '../config';
import { ProblemDetails, ProblemDetailsFilter } from '../errors';
import { requestIdFor } from '../logging/logging.module';
import { httpMetricsMiddleware, Metrics } from '../metrics';
import { refuseDeepJson } from './request-shape';
import { securityHeaders } from './security-headers';
import { createValidationPipe } from './validation';

export const API_PREFIX = 'api/v1';

/**
 * Everything `main.ts` applies to the HTTP app, shared with the end-to-end tests so that they
 * exercise the same pipes, filters, body limits and documentation.
 */
export function configureApp(app: NestExpressApplication): INestApplication {
  const http = app.get(ConfigService).getOrThrow<HttpConfig>('http');
  app.useLogger(app.get(Logger));
  // Before the body parser, so that even a malformed body gets a request id.
  app.use((request: IncomingMessage, response: ServerResponse, next: () => void) => {
    requestIdFor(request, response);
    next();
  });
  app.use(httpMetricsMiddleware(app.get(Metrics)));
  app.set('trust proxy', http.trustProxy);
  app.use(securityHeaders({ strictTransportSecurity: false }));
  app.use(strictTransportSecurityOverHttps);
  if (http.corsOrigins.length > 0) {
    app.enableCors({
      origin: http.corsOrigins,
      methods: ['GET', 'POST'],
      allowedHeaders: ['Content-Type', 'Idempotency-Key', 'Authorization', 'X-Request-Id', 'X-Operator'],
      exposedHeaders: ['Location', 'Idempotent-Replayed', 'Retry-After', 'X-Request-Id'],
      maxAge: 600,
    });
  }
  app.useBodyParser('json', { limit: http.bodyLimitBytes });
  app.use(refuseDeepJson);
  const server = app.getHttpServer() as Server;
  server.keepAliveTimeout = http.keepAliveTimeoutMs;
  // Node requires the headers timeout to exceed the keep-alive timeout.
  server.headersTimeout = http.keepAliveTimeoutMs + 1000;
  app.disable('x-powered-by');
  app.setGlobalPrefix(API_PREFIX, { exclude: ['health/live', 'health/ready', 'metrics'] });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.enableShutdownHooks();
  setUpSwagger(app);
  return app;
}

/**
 * HSTS only on requests that arrived over HTTPS (directly, or through a trusted proxy's
 * `X-Forwarded-Proto`): over plain HTTP the header is meaningless, and on localhost harmful.
 */
function strictTransportSecurityOverHttps(request: Request, response: Response, next: NextFunction): void {
  if (request.secure) response.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  next();
}

function setUpSwagger(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Reservations API')
    .setDescription(
      'Reserve a rental car, pay for it through Stripe, get it booked with the supplier. ' +
        'Errors are RFC 9457 `application/problem+json` with a stable `code`.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_API_TOKEN (admin routes only)' })
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ProblemDetails] });
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true, displayRequestDuration: true },
  });
}
