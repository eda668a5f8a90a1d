import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { AdminOnly } from '../admin/admin.guard';
import { MaxCodePoints } from '../http/max-code-points';
import { CursorPageQuery, cursorPage, DEFAULT_PAGE_LIMIT } from '../http/page-query';
import { AuditEntry } from './audit-entry.entity';
import { AuditLog } from './audit-log';
import { Audited } from './audited';

export class AuditQuery extends CursorPageQuery {
  @ApiPropertyOptional({ example: 'reservation.read' })
  @IsOptional()
  @IsString()
  @MaxCodePoints(64)
  action?: string;

  @ApiPropertyOptional({ example: 'admin:alice' })
  @IsOptional()
  @IsString()
  @MaxCodePoints(100)
  actor?: string;

  @ApiPropertyOptional({ example: 'K7M2Q9XD', description: 'A reservation code (any case), or an outbox event id' })
  @IsOptional()
  @IsString()
  @MaxCodePoints(64)
  resource_id?: string;
}

export class AuditEntryView {
  @ApiProperty({ example: 981 }) id!: number;
  @ApiProperty({ example: '2026-11-22T10:15:00.000Z' }) occurred_at!: string;
  @ApiProperty({ example: 'customer' }) actor!: string;
  @ApiProperty({ example: '203.0.113.7', nullable: true }) client_ip!: string | null;
  @ApiProperty({ example: 'reservation.read' }) action!: string;
  @ApiProperty({ example: 'K7M2Q9XD', nullable: true }) resource_id!: string | null;
  @ApiProperty({ example: 'ok', description: '`ok`, or the error code the request ended with' }) outcome!: string;
  @ApiProperty({ example: '4bf92f35-77b3-4a4d-9d5a-6d0e3b7c1a2f', nullable: true }) request_id!: string | null;
}

export class AuditPage {
  @ApiProperty({ type: [AuditEntryView] }) items!: AuditEntryView[];
  @ApiPropertyOptional({ nullable: true, example: 950 }) next_cursor!: number | null;
}

export function toAuditEntryView(entry: AuditEntry): AuditEntryView {
  return {
    id: entry.id,
    occurred_at: entry.occurredAt.toISOString(),
    actor: entry.actor,
    client_ip: entry.clientIp,
    action: entry.action,
    resource_id: entry.resourceId,
    outcome: entry.outcome,
    request_id: entry.requestId,
  };
}

@ApiTags('admin')
@AdminOnly()
@Controller('admin/audit')
export class AuditAdminController {
  constructor(private readonly audit: AuditLog) {}

  @Get()
  @Audited('admin.audit.read', { by: 'operator' })
  @ApiOperation({ summary: 'The audit log: reads of personal data and operator actions, newest first (cursor-paginated)' })
  @ApiOkResponse({ type: AuditPage })
  async list(@Query() query: AuditQuery): Promise<AuditPage> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const rows = await this.audit.list({
      action: query.action,
      actor: query.actor,
      resourceId: query.resource_id?.toUpperCase(),
      beforeId: query.cursor,
      limit,
    });
    return cursorPage(rows, limit, toAuditEntryView);
  }
}
