import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FieldError } from './domain-error';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export class FieldErrorDto implements FieldError {
  @ApiProperty({ example: 'pickup.office_code' })
  field!: string;

  @ApiProperty({ example: 'RESERVATION.OFFICE_NOT_OF_SUPPLIER' })
  code!: string;

  @ApiProperty({ example: 'Office BCN-T1 does not belong to supplier HERTZ.' })
  message!: string;
}

/** RFC 9457 problem details, with the product's stable `code` and the request id. */
export class ProblemDetails {
  @ApiProperty({ example: 'urn:problem:RESERVATION.OFFICE_NOT_OF_SUPPLIER' })
  type!: string;

  @ApiProperty({ example: 'Unprocessable Content' })
  title!: string;

  @ApiProperty({ example: 422 })
  status!: number;

  @ApiProperty({ example: 'Office BCN-T1 does not belong to supplier HERTZ.' })
  detail!: string;

  @ApiProperty({ example: '/api/v1/reservations' })
  instance!: string;

  @ApiProperty({ example: 'RESERVATION.OFFICE_NOT_OF_SUPPLIER' })
  code!: string;

  @ApiPropertyOptional({ example: 'b1c9f3de-8f4e-4a39-9c1e-3f0f3e1d2a7b' })
  request_id?: string;

  @ApiPropertyOptional({ type: [FieldErrorDto] })
  errors?: FieldErrorDto[];
}
