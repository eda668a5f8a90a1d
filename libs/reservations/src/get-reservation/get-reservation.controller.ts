import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsDefined, IsString } from 'class-validator';
import { Audited, CheckedBy, codePointLength, MaxCodePoints, ProblemDetails, RateLimit, RequestCheck, refuseUnknownFields } from '@app/core';
import { toReservationView, ReservationView } from '../reservation.view';
import { GetReservationHandler } from './get-reservation.handler';

const EMAIL_MAX_CODE_POINTS = 254;

/**
 * `?email=` of the customer's lookups (reservation, receipt, PDF), checked by hand: the same
 * errors as the class-validator decorators below, which stay for the documentation and for
 * the spec that compares both (`customer-lookup-query.spec.ts`).
 */
const checkLookupQuery: RequestCheck<CustomerLookupQuery> = (value, fail) => {
  refuseUnknownFields(value, ['email'], fail);
  const email = value.email;
  if (email === undefined || email === null) fail('email', 'REQUEST.FIELD_REQUIRED', 'email should not be null or undefined');
  // class-validator runs a property's decorators bottom-up and stops at the first failure:
  // a non-string fails `MaxCodePoints` before `IsString`, and gets its message.
  else if (typeof email !== 'string' || codePointLength(email) > EMAIL_MAX_CODE_POINTS) {
    fail('email', 'CUSTOMER.EMAIL_INVALID', `email must be shorter than or equal to ${EMAIL_MAX_CODE_POINTS} characters`);
  }
  const query = new CustomerLookupQuery();
  query.email = email as string;
  return query;
};

@CheckedBy(checkLookupQuery)
export class CustomerLookupQuery {
  @ApiProperty({ example: 'ana@example.com', description: "The customer's e-mail, as given at creation (any case)" })
  @IsDefined({ context: { code: 'REQUEST.FIELD_REQUIRED' } })
  @IsString({ context: { code: 'CUSTOMER.EMAIL_INVALID' } })
  @MaxCodePoints(EMAIL_MAX_CODE_POINTS, { context: { code: 'CUSTOMER.EMAIL_INVALID' } })
  email!: string;
}

@ApiTags('reservations')
@Controller('reservations')
export class GetReservationController {
  constructor(private readonly handler: GetReservationHandler) {}

  @Get(':code')
  @RateLimit('lookup')
  @Audited('reservation.read', { by: 'customer', resource: 'code' })
  @ApiOperation({ summary: 'Status, progress and details of a reservation' })
  @ApiParam({ name: 'code', example: 'K7M2Q9XD', description: 'Reservation code, any letter case' })
  @ApiOkResponse({ type: ReservationView })
  @ApiNotFoundResponse({ type: ProblemDetails, description: 'No reservation with this code and e-mail.' })
  async get(@Param('code') code: string, @Query() query: CustomerLookupQuery): Promise<ReservationView> {
    return toReservationView(await this.handler.execute({ code, email: query.email }));
  }
}
