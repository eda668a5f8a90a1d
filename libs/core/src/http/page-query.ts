import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** `limit` and `cursor` of the operators' listings (newest first; the cursor is the last id seen). */
export class CursorPageQuery {
  @ApiPropertyOptional({ default: 50, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ context: { code: 'REQUEST.PAGE_INVALID' } })
  @Min(1, { context: { code: 'REQUEST.PAGE_INVALID' } })
  @Max(500, { context: { code: 'REQUEST.PAGE_INVALID' } })
  limit?: number;

  @ApiPropertyOptional({ description: 'Cursor: the `next_cursor` of the previous page' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ context: { code: 'REQUEST.PAGE_INVALID' } })
  @Min(1, { context: { code: 'REQUEST.PAGE_INVALID' } })
  cursor?: number;
}

/** How many rows a page holds when the query does not say. */
export const DEFAULT_PAGE_LIMIT = 50;

/** One page of an operators' listing: its items, and the cursor of the next page when this one is full. */
export function cursorPage<R extends { id: number }, V>(rows: R[], limit: number, view: (row: R) => V): { items: V[]; next_cursor: number | null } {
  return { items: rows.map(view), next_cursor: rows.length === limit ? rows[rows.length - 1].id : null };
}
