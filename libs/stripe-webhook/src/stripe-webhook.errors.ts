import { BadRequestError } from '@app/core';

export class WebhookSignatureInvalidError extends BadRequestError {
  readonly code = 'WEBHOOK.SIGNATURE_INVALID';
  constructor() {
    super('The Stripe-Signature header does not match this body, or its timestamp is too old.');
  }
}
