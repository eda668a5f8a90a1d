import { Controller, Get, Header, Injectable, Param, Query, StreamableFile } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Audited, NotFoundError, ProblemDetails, RateLimit } from '@app/core';
import { CustomerLookupQuery, ReservationNotFoundError, ReservationsRepository } from '@app/reservations';
import { Receipt, ReceiptContent } from '../receipt.entity';
import { ReceiptsRepository } from '../receipts.repository';
import { ReceiptPdfRenderer } from '../render/receipt-pdf.renderer';

export class ReceiptNotIssuedError extends NotFoundError {
  readonly code = 'RECEIPT.NOT_ISSUED';
  constructor() {
    super('This reservation has no receipt yet: it is issued once the reservation is confirmed.');
  }
}

/** The latest receipt of a reservation, for its customer only (code and e-mail must match). */
@Injectable()
export class GetReceiptHandler {
  constructor(
    private readonly reservations: ReservationsRepository,
    private readonly receipts: ReceiptsRepository,
  ) {}

  async execute(code: string, email: string): Promise<{ receipt: Receipt; content: ReceiptContent }> {
    const reservation = await this.reservations.findForCustomer(code, email);
    if (!reservation) throw new ReservationNotFoundError();
    const receipt = await this.receipts.latestFor(reservation.code);
    if (!receipt) throw new ReceiptNotIssuedError();
    return { receipt, content: this.receipts.contentOf(receipt) };
  }
}

const CODE_PARAM = { name: 'code', example: 'K7M2Q9XD', description: 'Reservation code, any letter case' };
const NOT_FOUND = { type: ProblemDetails, description: 'No reservation with this code and e-mail, or no receipt yet (RECEIPT.NOT_ISSUED).' };

@ApiTags('reservations')
@Controller('reservations')
@RateLimit('lookup')
export class GetReceiptController {
  constructor(
    private readonly handler: GetReceiptHandler,
    private readonly renderer: ReceiptPdfRenderer,
  ) {}

  @Get(':code/receipt')
  @Audited('receipt.read', { by: 'customer', resource: 'code' })
  @Header('Cache-Control', 'private, no-store')
  @ApiOperation({ summary: "The reservation's latest receipt (JSON)" })
  @ApiParam(CODE_PARAM)
  @ApiOkResponse({ description: 'Number, version, issuer, customer, itinerary, amount, payment reference, supplier status' })
  @ApiNotFoundResponse(NOT_FOUND)
  async get(@Param('code') code: string, @Query() query: CustomerLookupQuery): Promise<ReceiptContent> {
    return (await this.handler.execute(code, query.email)).content;
  }

  @Get(':code/receipt.pdf')
  @Audited('receipt.pdf.read', { by: 'customer', resource: 'code' })
  @Header('Cache-Control', 'private, no-store')
  @ApiOperation({ summary: "The reservation's latest receipt as a PDF (A4, one page)" })
  @ApiParam(CODE_PARAM)
  @ApiProduces('application/pdf')
  @ApiOkResponse({ description: 'The receipt, as e-mailed to the customer', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } })
  @ApiNotFoundResponse(NOT_FOUND)
  async getPdf(@Param('code') code: string, @Query() query: CustomerLookupQuery): Promise<StreamableFile> {
    const { receipt, content } = await this.handler.execute(code, query.email);
    return new StreamableFile(await this.renderer.render(content), {
      type: 'application/pdf',
      disposition: `inline; filename="${receipt.number}.pdf"`,
    });
  }
}
