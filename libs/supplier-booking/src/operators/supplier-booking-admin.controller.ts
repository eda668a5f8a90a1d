import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadGatewayResponse,
  ApiConflictResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import type { Response } from 'express';
import { IsInt, IsOptional, IsString, Matches, Min, MinLength } from 'class-validator';
import { AdminOnly, Audited, MaxCodePoints, OperatorActor, ProblemDetails } from '@app/core';
import { AdminReservationView, RESERVATION_CODE_PATTERN, toAdminReservationView } from '@app/reservations';
import { SupplierBookingClient } from '../supplier-booking.client';
import { MoneySafetyCheck, MoneySafetyReport } from './money-safety.check';
import { RefundReservationHandler } from './refund-reservation.handler';
import { RetrySupplierBookingNowHandler } from './retry-supplier-booking-now.handler';

export class ReservationCodeParams {
  @ApiProperty({ example: 'K7M2Q9XD', description: 'Reservation code, any letter case' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toUpperCase() : value))
  @Matches(RESERVATION_CODE_PATTERN, { context: { code: 'RESERVATION.CODE_INVALID' } })
  code!: string;
}

export class OperatorActionBody {
  @ApiProperty({ example: 3, description: 'The `operations.lock_version` you looked at' })
  @IsInt({ context: { code: 'RESERVATION.LOCK_VERSION_INVALID' } })
  @Min(1, { context: { code: 'RESERVATION.LOCK_VERSION_INVALID' } })
  lock_version!: number;
}

export class RefundBody extends OperatorActionBody {
  @ApiProperty({ example: 'No supplier has a car for these dates', minLength: 3, maxLength: 200 })
  @IsString({ context: { code: 'REFUND.REASON_INVALID' } })
  @MinLength(3, { context: { code: 'REFUND.REASON_INVALID' } })
  @MaxCodePoints(200, { context: { code: 'REFUND.REASON_INVALID' } })
  reason!: string;
}

export class MoneySafetyQuery {
  @ApiPropertyOptional({ description: 'Age threshold in minutes (default MONEY_SAFETY_AGE_MINUTES)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ context: { code: 'REQUEST.AGE_INVALID' } })
  @Min(0, { context: { code: 'REQUEST.AGE_INVALID' } })
  older_than_minutes?: number;
}

@ApiTags('admin')
@AdminOnly()
@Controller('admin')
export class SupplierBookingAdminController {
  constructor(
    private readonly retryNow: RetrySupplierBookingNowHandler,
    private readonly refunds: RefundReservationHandler,
    private readonly moneySafety: MoneySafetyCheck,
    private readonly client: SupplierBookingClient,
  ) {}

  @Post('reservations/:code/supplier-booking/retry')
  @Audited('admin.reservation.retry_booking', { by: 'operator', resource: 'code' })
  @HttpCode(202)
  @ApiOperation({ summary: 'Book with the supplier now (a PAID or CONFIRMED_INTERNAL reservation)' })
  @ApiAcceptedResponse({ type: AdminReservationView, description: 'The booking run is scheduled at once.' })
  @ApiConflictResponse({ type: ProblemDetails, description: 'Stale lock_version, or nothing to book.' })
  async retry(@Param() params: ReservationCodeParams, @Body() body: OperatorActionBody, @OperatorActor() actor: string) {
    const reservation = await this.retryNow.execute({ reservationCode: params.code, lockVersion: body.lock_version, actor });
    return toAdminReservationView(reservation);
  }

  @Post('reservations/:code/refund')
  @Audited('admin.reservation.refund', { by: 'operator', resource: 'code' })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Refund a CONFIRMED_INTERNAL reservation no supplier can serve (→ REFUNDED)',
    description:
      'Refused while a booking run holds the reservation. When Stripe\'s answer is lost the refund stays pending ' +
      '(`operations.refund_state` `outcome_unknown`, booking blocked) and the outbox settles it; repeating the call is safe.',
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

  @Get('money-safety')
  @Audited('admin.money_safety.read', { by: 'operator' })
  @ApiOperation({ summary: 'Paid reservations with neither a supplier confirmation nor a refund, oldest first' })
  @ApiOkResponse({ type: MoneySafetyReport })
  check(@Query() query: MoneySafetyQuery): Promise<MoneySafetyReport> {
    return this.moneySafety.run(query.older_than_minutes);
  }

  @Get('suppliers/circuits')
  @ApiOperation({ summary: "This process's circuit breaker state per supplier" })
  circuits(): Record<string, string> {
    return this.client.circuitStates();
  }
}
