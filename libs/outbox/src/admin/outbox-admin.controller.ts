import { Controller, Get, HttpCode, Param, ParseIntPipe, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEnum, IsOptional, Matches } from 'class-validator';
import { ADMIN_ACTOR, AdminOnly, Audited, Clock, CursorPageQuery, cursorPage, DEFAULT_PAGE_LIMIT, ProblemDetails } from '@app/core';
import { OutboxStatus } from '../outbox-event.entity';
import { OutboxEventView, toOutboxEventView } from '../outbox-event.view';
import { OutboxRepository, OutboxStats } from '../outbox.repository';
import { RequeueOutboxEventHandler } from './requeue-outbox-event.handler';

export class ListOutboxQuery extends CursorPageQuery {
  @ApiPropertyOptional({ enum: OutboxStatus })
  @IsOptional()
  @IsEnum(OutboxStatus, { context: { code: 'OUTBOX.STATUS_INVALID' } })
  status?: OutboxStatus;

  @ApiPropertyOptional({ example: 'SEND_RECEIPT_EMAIL' })
  @IsOptional()
  @Matches(/^[A-Z0-9_]{1,64}$/, { context: { code: 'OUTBOX.TYPE_INVALID' } })
  type?: string;
}

export class RequeueQuery {
  @ApiPropertyOptional({ description: 'Also requeue a DONE event', default: false })
  @IsOptional()
  @Transform(({ value }) => value === 'true' || value === true)
  @IsBoolean()
  force?: boolean;
}

export class OutboxPage {
  @ApiProperty({ type: [OutboxEventView] }) items!: OutboxEventView[];
  @ApiPropertyOptional({ nullable: true, example: 1234 }) next_cursor!: number | null;
}

@ApiTags('admin')
@AdminOnly()
@Controller('admin/outbox')
export class OutboxAdminController {
  constructor(
    private readonly repository: OutboxRepository,
    private readonly requeueHandler: RequeueOutboxEventHandler,
    private readonly clock: Clock,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Outbox events, newest first, filtered by status and type (cursor-paginated)' })
  @ApiOkResponse({ type: OutboxPage })
  async list(@Query() query: ListOutboxQuery): Promise<OutboxPage> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const rows = await this.repository.list({ status: query.status, type: query.type }, { limit, afterId: query.cursor });
    return cursorPage(rows, limit, toOutboxEventView);
  }

  @Get('stats')
  @ApiOperation({ summary: 'Backlog by status and type, and the age of the oldest due event' })
  stats(): Promise<OutboxStats> {
    return this.repository.stats(this.clock.now());
  }

  @Post(':id/requeue')
  @Audited('admin.outbox.requeue', { by: 'operator', resource: 'id' })
  @HttpCode(200)
  @ApiOperation({ summary: 'Give a DEAD event fresh attempts (DONE too, with force=true)' })
  @ApiOkResponse({ type: OutboxEventView })
  @ApiConflictResponse({ type: ProblemDetails, description: 'The event is not DEAD (or DONE with force).' })
  async requeue(@Param('id', ParseIntPipe) id: number, @Query() query: RequeueQuery): Promise<OutboxEventView> {
    return toOutboxEventView(await this.requeueHandler.execute({ id, force: query.force, actor: ADMIN_ACTOR }));
  }
}
