import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Min } from 'class-validator';
import { AdminOnly, Audited } from '@app/core';
import { MoneySafetyCheck, MoneySafetyReport } from './money-safety.check';

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
export class MoneySafetyController {
  constructor(private readonly moneySafety: MoneySafetyCheck) {}

  @Get('money-safety')
  @Audited('admin.money_safety.read', { by: 'operator' })
  @ApiOperation({
    summary: 'Reservations with money at risk, each with its problem (paid and not booked, refunds, holds, disputes)',
    // Kept from when one controller served every operator route: clients generated from the document use it.
    operationId: 'SupplierBookingAdminController_check',
  })
  @ApiOkResponse({ type: MoneySafetyReport })
  check(@Query() query: MoneySafetyQuery): Promise<MoneySafetyReport> {
    return this.moneySafety.run(query.older_than_minutes);
  }
}
