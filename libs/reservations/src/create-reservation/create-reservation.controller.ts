import { Body, Controller, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { IdempotencyClaim, Idempotent, IdempotencyKeyClaim, ProblemDetails, RateLimit, StoredResponse } from '@app/core';
import { Reservation } from '../reservation.entity';
import { toReservationView, ReservationView } from '../reservation.view';
import { CreateReservationHandler } from './create-reservation.handler';
import { CreateReservationRequest } from './create-reservation.request';

@ApiTags('reservations')
@Controller('reservations')
export class CreateReservationController {
  constructor(private readonly handler: CreateReservationHandler) {}

  @Post()
  @RateLimit('create')
  @HttpCode(HttpStatus.ACCEPTED)
  @Idempotent({ claimedByRoute: true })
  @ApiOperation({
    summary: 'Reserve a car',
    description:
      'Validates the offer against the reference data and the office time zones, then records the ' +
      'reservation. 202: payment and supplier booking continue asynchronously; poll `GET` for progress.',
  })
  @ApiAcceptedResponse({ type: ReservationView, description: 'Reserved; `Location` points at the reservation.' })
  @ApiBadRequestResponse({ type: ProblemDetails, description: 'Missing or invalid Idempotency-Key, or malformed JSON.' })
  @ApiUnprocessableEntityResponse({
    type: ProblemDetails,
    description: 'A field or rule is broken (`code` and `errors[].field` say which), or the key was reused with another body.',
  })
  @ApiConflictResponse({ type: ProblemDetails, description: 'A request with this Idempotency-Key is still in flight.' })
  @ApiPayloadTooLargeResponse({ type: ProblemDetails, description: 'Body over 16 KiB.' })
  @ApiServiceUnavailableResponse({ type: ProblemDetails, description: 'A dependency is down; retry after `Retry-After`.' })
  async create(
    @Body() body: CreateReservationRequest,
    @IdempotencyKeyClaim() claim: IdempotencyClaim,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ReservationView> {
    const input = {
      idempotencyKey: claim.key,
      idempotencyFingerprint: claim.requestHash,
      supplierCode: body.supplier_code,
      pickup: { officeCode: body.pickup.office_code, at: body.pickup.at },
      dropoff: { officeCode: body.dropoff.office_code, at: body.dropoff.at },
      carCategory: body.car_category,
      customer: {
        firstName: body.customer.first_name,
        lastName: body.customer.last_name,
        email: body.customer.email,
        phone: body.customer.phone,
      },
      price: { amount: body.price.amount, currency: body.price.currency },
    };
    // The handler claims the key with its first commit and stores this answer with its second.
    const answer = accepted(await this.handler.execute(input, claim.answeredBy(accepted)));
    response.location(answer.headers.location);
    return answer.body;
  }
}

/** The 202 of a create, as sent and as a retry with the key replays it. */
function accepted(reservation: Reservation): StoredResponse & { headers: { location: string }; body: ReservationView } {
  return {
    status: HttpStatus.ACCEPTED,
    headers: { location: `/api/v1/reservations/${reservation.code}` },
    body: toReservationView(reservation),
  };
}
