import { Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { RawBodyRequest } from '@nestjs/common';
import type { Request } from 'express';
import { ProblemDetails } from '@app/core';
import { EventOutcome, ReceiveStripeEventHandler } from './receive-stripe-event.handler';

export class WebhookAck {
  @ApiProperty({ example: true }) received!: true;
  @ApiProperty({ example: 'applied', enum: ['applied', 'ignored', 'unknown_reservation', 'duplicate', 'ignored_type', 'not_ours'] })
  outcome!: EventOutcome;
}

@ApiTags('webhooks')
@Controller('webhooks/stripe')
export class ReceiveStripeEventController {
  constructor(private readonly handler: ReceiveStripeEventHandler) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookAck, description: 'Received (also for duplicates and events we ignore).' })
  @ApiBadRequestResponse({ type: ProblemDetails, description: 'Bad or missing Stripe-Signature, or a stale timestamp.' })
  async receive(@Req() request: RawBodyRequest<Request>, @Headers('stripe-signature') signature?: string): Promise<WebhookAck> {
    return { received: true, outcome: await this.handler.execute(request.rawBody, signature) };
  }
}
