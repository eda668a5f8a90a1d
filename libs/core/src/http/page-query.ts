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
