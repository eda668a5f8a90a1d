import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly, Audited, OperatorActor, ProblemDetails } from '@app/core';
import { AdminReservationView, toAdminReservationView } from '@app/reservations';
import { OperatorActionBody, ReservationCodeParams } from '../operator-action';
import { RetrySupplierBookingNowHandler } from './retry-supplier-booking-now.handler';

@ApiTags('admin')
@AdminOnly()
@Controller('admin')
export class RetrySupplierBookingNowController {
  constructor(private readonly retryNow: RetrySupplierBookingNowHandler) {}

  @Post('reservations/:code/supplier-booking/retry')
  @Audited('admin.reservation.retry_booking', { by: 'operator', resource: 'code' })
  @HttpCode(202)
  @ApiOperation({
    summary: 'Book with the supplier now (a PAID or CONFIRMED_INTERNAL reservation)',
    // Kept from when one controller served every operator route: clients generated from the document use it.
    operationId: 'SupplierBookingAdminController_retry',
  })
  @ApiAcceptedResponse({ type: AdminReservationView, description: 'The booking run is scheduled at once.' })
  @ApiConflictResponse({ type: ProblemDetails, description: 'Stale lock_version, or nothing to book.' })
  async retry(@Param() params: ReservationCodeParams, @Body() body: OperatorActionBody, @OperatorActor() actor: string) {
    const reservation = await this.retryNow.execute({ reservationCode: params.code, lockVersion: body.lock_version, actor });
    return toAdminReservationView(reservation);
  }
}
