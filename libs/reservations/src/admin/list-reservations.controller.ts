import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEnum, IsOptional } from 'class-validator';
import { AdminOnly, Audited, CursorPageQuery, cursorPage, DEFAULT_PAGE_LIMIT } from '@app/core';
import { ReservationStatus } from '../domain/reservation-status';
import { ReservationsRepository } from '../reservations.repository';
import { AdminReservationView, toAdminReservationView } from './admin-reservation.view';

export class ListReservationsQuery extends CursorPageQuery {
  @ApiPropertyOptional({ enum: ReservationStatus })
  @IsOptional()
  @IsEnum(ReservationStatus, { context: { code: 'RESERVATION.STATUS_INVALID' } })
  status?: ReservationStatus;

  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ context: { code: 'REQUEST.FLAG_INVALID' } })
  needs_attention?: boolean;
}

export class ReservationsPage {
  @ApiProperty({ type: [AdminReservationView] }) items!: AdminReservationView[];
  @ApiPropertyOptional({ nullable: true, example: 1234 }) next_cursor!: number | null;
}

@ApiTags('admin')
@AdminOnly()
@Controller('admin/reservations')
export class ListReservationsController {
  constructor(private readonly reservations: ReservationsRepository) {}

  @Get()
  @Audited('admin.reservations.list', { by: 'operator' })
  @ApiOperation({ summary: 'Reservations, newest first, by status and attention flag (cursor-paginated)' })
  @ApiOkResponse({ type: ReservationsPage })
  async list(@Query() query: ListReservationsQuery): Promise<ReservationsPage> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const rows = await this.reservations.listForOperators(
      { status: query.status, needsAttention: query.needs_attention },
      { limit, beforeId: query.cursor },
    );
    return cursorPage(rows, limit, toAdminReservationView);
  }
}
