import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '@app/core';
import { SupplierBookingClient } from './supplier-booking.client';

@ApiTags('admin')
@AdminOnly()
@Controller('admin')
export class SupplierCircuitsController {
  constructor(private readonly client: SupplierBookingClient) {}

  @Get('suppliers/circuits')
  @ApiOperation({
    summary: "This process's circuit breaker state per supplier",
    // Kept from when one controller served every operator route: clients generated from the document use it.
    operationId: 'SupplierBookingAdminController_circuits',
  })
  circuits(): Record<string, string> {
    return this.client.circuitStates();
  }
}
