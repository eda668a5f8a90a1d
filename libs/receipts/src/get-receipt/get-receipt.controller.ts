import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { NotFoundError, ProblemDetails } from '@app/core';
import { CustomerLookupQuery, ReservationNotFoundError, ReservationsRepository } from '@app/reservations';
import { Receipt, ReceiptContent } from '../receipt.entity';

export class ReceiptNotIssuedError extends NotFoundError {
  readonly code = 'RECEIPT.NOT_ISSUED';
  constructor() {
    super('This reservation has no receipt yet: it is issued once the reservation is confirmed.');
  }
}

@ApiTags('reservations')
@Controller('reservations')
export class GetReceiptController {
  constructor(
    private readonly reservations: ReservationsRepository,
    @InjectRepository(Receipt) private readonly receipts: Repository<Receipt>,
  ) {}

  @Get(':code/receipt')
  @ApiOperation({ summary: "The reservation's latest receipt (JSON)" })
  @ApiParam({ name: 'code', example: 'K7M2Q9XD', description: 'Reservation code, any letter case' })
  @ApiOkResponse({ description: 'Number, version, customer, itinerary, amount, payment reference, supplier status' })
  @ApiNotFoundResponse({ type: ProblemDetails, description: 'No reservation with this code and e-mail, or no receipt yet.' })
  async get(@Param('code') code: string, @Query() query: CustomerLookupQuery): Promise<ReceiptContent> {
    const reservation = await this.reservations.findForCustomer(code, query.email);
    if (!reservation) throw new ReservationNotFoundError();
    const latest = await this.receipts.findOne({ where: { reservationCode: reservation.code }, order: { version: 'DESC' } });
    if (!latest) throw new ReceiptNotIssuedError();
    return latest.parsed;
  }
}
