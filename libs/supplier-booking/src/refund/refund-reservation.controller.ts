import { Body, Controller, HttpCode, HttpStatus, Param, Post, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadGatewayResponse,
  ApiConflictResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { IsString, MinLength } from 'class-validator';
import { AdminOnly, Audited, MaxCodePoints, OperatorActor, ProblemDetails } from '@app/core';
import { AdminReservationView, toAdminReservationView } from '@app/reservations';
import { OperatorActionBody, ReservationCodeParams } from '../operator-action';
import { RefundReservationHandler } from './refund-reservation.handler';

export class RefundBody extends OperatorActionBody {
  @ApiProperty({ example: 'No supplier has a car for these dates', minLength: 3, maxLength: 200 })
  @IsString({ context: { code: 'REFUND.REASON_INVALID' } })
  @MinLength(3, { context: { code: 'REFUND.REASON_INVALID' } })
  @MaxCodePoints(200, { context: { code: 'REFUND.REASON_INVALID' } })
  reason!: string;
}

@ApiTags('admin')
@AdminOnly()
@Controller('admin')
export class RefundReservationController {
  constructor(private readonly refunds: RefundReservationHandler) {}

  @Post('reservations/:code/refund')
  @Audited('admin.reservation.refund', { by: 'operator', resource: 'code' })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Refund a CONFIRMED_INTERNAL reservation no supplier can serve (→ REFUNDED)',
    description:
      'Refused while a booking run holds the reservation. When Stripe\'s answer is lost the refund stays pending ' +
      '(`operations.refund_state` `outcome_unknown`, booking blocked) and the outbox settles it; repeating the call is safe.',
    // Kept from when one controller served every operator route: clients generated from the document use it.
    operationId: 'SupplierBookingAdminController_refund',
  })
  @ApiOkResponse({ type: AdminReservationView, description: 'Refunded.' })
  @ApiAcceptedResponse({ type: AdminReservationView, description: 'Outcome unknown: the refund stays pending and is settled through the outbox.' })
  @ApiConflictResponse({
    type: ProblemDetails,
    description: 'Stale lock_version, not CONFIRMED_INTERNAL, or a booking run holds the reservation (RESERVATION.BOOKING_IN_PROGRESS).',
  })
  @ApiBadGatewayResponse({ type: ProblemDetails, description: 'Stripe refused the refund (PAYMENT.REFUND_FAILED).' })
  async refund(
    @Param() params: ReservationCodeParams,
    @Body() body: RefundBody,
    @OperatorActor() actor: string,
    @Res({ passthrough: true }) response: Response,
  ) {
    const { reservation, pending } = await this.refunds.execute({ reservationCode: params.code, lockVersion: body.lock_version, reason: body.reason, actor });
    if (pending) response.status(HttpStatus.ACCEPTED);
    return toAdminReservationView(reservation);
  }
}
