import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsDefined, IsString } from 'class-validator';
import { Audited, MaxCodePoints, ProblemDetails, RateLimit } from '@app/core';
import { toReservationView, ReservationView } from '../reservation.view';
import { GetReservationHandler } from './get-reservation.handler';

export class CustomerLookupQuery {
  @ApiProperty({ example: 'ana@example.com', description: "The customer's e-mail, as given at creation (any case)" })
  @IsDefined({ context: { code: 'REQUEST.FIELD_REQUIRED' } })
  @IsString({ context: { code: 'CUSTOMER.EMAIL_INVALID' } })
  @MaxCodePoints(254, { context: { code: 'CUSTOMER.EMAIL_INVALID' } })
  email!: string;
}

@ApiTags('reservations')
@Controller('reservations')
export class GetReservationController {
  constructor(private readonly handler: GetReservationHandler) {}

  @Get(':code')
  @RateLimit('lookup')
  @Audited('reservation.read', { by: 'customer', resource: 'code' })
  @ApiOperation({ summary: 'Status, progress and details of a reservation' })
  @ApiParam({ name: 'code', example: 'K7M2Q9XD', description: 'Reservation code, any letter case' })
  @ApiOkResponse({ type: ReservationView })
  @ApiNotFoundResponse({ type: ProblemDetails, description: 'No reservation with this code and e-mail.' })
  async get(@Param('code') code: string, @Query() query: CustomerLookupQuery): Promise<ReservationView> {
    return toReservationView(await this.handler.execute({ code, email: query.email }));
  }
}
