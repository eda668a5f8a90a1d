/**
 * A floor's own handler served by a bare NestJS 11 + Express 5 application instead of
 * `node:http`: the framework the project is fixed on, and nothing else of the product (no
 * pipes, guards, interceptors, logger, ORM or validation; no body parser either: the body is
 * read as the floor reads it). `bench/floors.ts` measures it as the `framework` beside the floor
 * and the product, so that what Nest and Express cost on their own shows apart from what the
 * product adds: the product cannot be faster than this.
 *
 * Loaded by `serve` (./support.ts) only when FLOOR_SERVER=nest, so that the plain floors keep
 * importing node and mysql2 alone.
 */
import 'reflect-metadata';
import { All, Controller, Module, Req, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import type { Pool } from 'mysql2/promise';
import type { Answer } from './support';

type Handle = (request: IncomingMessage, body: Buffer) => Promise<Answer>;

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

export async function serveOnNest(pool: Pool, handle: Handle, port: number, onStop: (stop: () => Promise<void>) => void): Promise<void> {
  @Controller()
  class FloorController {
    // Every route: the floor's handler does its own routing, as on node:http.
    @All('{*path}')
    async any(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<unknown> {
      const body = await readBody(request);
      const answer = request.url === '/health/ready' ? { status: 200, body: { status: 'ok' } } : await handle(request, body);
      response.status(answer.status);
      for (const [name, value] of Object.entries(answer.headers ?? {})) response.setHeader(name, value);
      return answer.body;
    }
  }

  @Module({ controllers: [FloorController] })
  class FloorModule {}

  const app = await NestFactory.create(FloorModule, { bodyParser: false, logger: ['error'] });
  await app.listen(port, '127.0.0.1');
  onStop(async () => {
    await app.close();
    await pool.end();
  });
}
