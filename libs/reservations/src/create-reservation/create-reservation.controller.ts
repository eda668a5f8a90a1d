import { Body, Controller, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProperty,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsEmail,
  IsInt,
  IsNotEmptyObject,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import type { Response } from 'express';
import { DateTime } from 'luxon';
import { IdempotencyClaim, Idempotent, IdempotencyKeyClaim, MaxCodePoints, ProblemDetails, RateLimit, StoredResponse } from '@app/core';
import { MAXIMUM_CHARGE_AMOUNT } from '../domain/chargeable-amount';
import { LOCAL_TIME_PATTERN } from '../domain/rental-period';
import { Reservation } from '../reservation.entity';
import { toReservationView, ReservationView } from '../reservation.view';
import { CreateReservationHandler } from './create-reservation.handler';

const code = (value: string) => ({ context: { code: value } });

/**
 * Dates of the documented example, 30 and 34 days after the server started, so that "Try it
 * out" in Swagger UI always sends a valid reservation.
 */
const exampleDay = (daysAhead: number) => DateTime.utc().plus({ days: daysAhead }).toFormat("yyyy-MM-dd'T'10:00");
const EXAMPLE_PICKUP_AT = exampleDay(30);
const EXAMPLE_DROPOFF_AT = exampleDay(34);
const NAME_PATTERN = /\S/;
/** C0 and C1 control characters (NUL, BEL, ESC, …): no name has them, and XML 1.0 cannot carry them to a supplier. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f-\u009f]*$/;

export class PlaceRequest {
  @ApiProperty({ example: 'MAD-T4' })
  @IsDefined(code('REQUEST.FIELD_REQUIRED'))
  @IsString(code('RESERVATION.OFFICE_CODE_INVALID'))
  @Matches(/^[A-Z0-9-]{2,16}$/, code('RESERVATION.OFFICE_CODE_INVALID'))
  office_code!: string;

  @ApiProperty({ example: EXAMPLE_PICKUP_AT, description: 'Local wall-clock time of the office, to the minute, no offset' })
  @IsDefined(code('REQUEST.FIELD_REQUIRED'))
  @IsString(code('RESERVATION.LOCAL_TIME_FORMAT'))
  @Matches(LOCAL_TIME_PATTERN, { ...code('RESERVATION.LOCAL_TIME_FORMAT'), message: '$property must look like 2027-03-01T10:00' })
  at!: string;
}

export class CustomerRequest {
  @ApiProperty({ example: 'Ana', maxLength: 100 })
  @IsDefined(code('REQUEST.FIELD_REQUIRED'))
  @IsString(code('CUSTOMER.NAME_INVALID'))
  @MaxCodePoints(100, code('CUSTOMER.NAME_TOO_LONG'))
  @Matches(NAME_PATTERN, { ...code('CUSTOMER.NAME_INVALID'), message: '$property must not be blank' })
  @Matches(NO_CONTROL_CHARACTERS, { ...code('CUSTOMER.NAME_INVALID'), message: '$property must not contain control characters' })
  first_name!: string;

  @ApiProperty({ example: 'Pérez', maxLength: 100 })
  @IsDefined(code('REQUEST.FIELD_REQUIRED'))
  @IsString(code('CUSTOMER.NAME_INVALID'))
  @MaxCodePoints(100, code('CUSTOMER.NAME_TOO_LONG'))
  @Matches(NAME_PATTERN, { ...code('CUSTOMER.NAME_INVALID'), message: '$property must not be blank' })
  @Matches(NO_CONTROL_CHARACTERS, { ...code('CUSTOMER.NAME_INVALID'), message: '$property must not contain control characters' })
  last_name!: string;

  @ApiProperty({ example: 'ana@example.com', maxLength: 254 })
  @IsDefined(code('REQUEST.FIELD_REQUIRED'))
  @IsString(code('CUSTOMER.EMAIL_INVALID'))
  @MaxCodePoints(254, code('CUSTOMER.EMAIL_INVALID'))
  @IsEmail({}, code('CUSTOMER.EMAIL_INVALID'))
  email!: string;

  @ApiProperty({ example: '+34600111222', description: 'E.164' })
  @IsDefined(code('REQUEST.FIELD_REQUIRED'))
  @IsString(code('CUSTOMER.PHONE_INVALID'))
  @Matches(/^\+[1-9]\d{6,14}$/, { ...code('CUSTOMER.PHONE_INVALID'), message: '$property must be E.164, like +34600111222' })
  phone!: string;
}

export class PriceRequest {
  @ApiProperty({
    example: 18950,
    description:
      'Positive integer in minor units (cents), one Stripe can charge: at least its minimum for the currency ' +
      '(EUR 50, GBP 30, …), a multiple of 10 for three-decimal currencies and of 100 for ISK and UGX',
    minimum: 1,
    maximum: MAXIMUM_CHARGE_AMOUNT,
  })
  @IsDefined(code('REQUEST.FIELD_REQUIRED'))
  // Checked bottom-up, first failure only: "18950" is not an integer rather than too large.
  @Max(MAXIMUM_CHARGE_AMOUNT, code('PRICE.AMOUNT_TOO_LARGE'))
  @Min(1, code('PRICE.AMOUNT_INVALID'))
  @IsInt(code('PRICE.AMOUNT_INVALID'))
  amount!: number;

  @ApiProperty({ example: 'EUR', description: 'ISO 4217, upper case' })
  @IsDefined(code('REQUEST.FIELD_REQUIRED'))
  @IsString(code('PRICE.CURRENCY_INVALID'))
  @Matches(/^[A-Z]{3}$/, { ...code('PRICE.CURRENCY_INVALID'), message: '$property must be an ISO 4217 code like EUR' })
  currency!: string;
}

export class CreateReservationRequest {
  @ApiProperty({ example: 'HERTZ' })
  @IsDefined(code('REQUEST.FIELD_REQUIRED'))
  @IsString(code('RESERVATION.SUPPLIER_CODE_INVALID'))
  @Matches(/^[A-Z0-9_]{2,16}$/, code('RESERVATION.SUPPLIER_CODE_INVALID'))
  supplier_code!: string;

  @ApiProperty({ type: PlaceRequest })
  @IsDefined(code('REQUEST.FIELD_REQUIRED'))
  @IsNotEmptyObject({}, code('REQUEST.OBJECT_EXPECTED'))
  @ValidateNested()
  @Type(() => PlaceRequest)
  pickup!: PlaceRequest;

  @ApiProperty({ type: PlaceRequest, example: { office_code: 'BCN-T1', at: EXAMPLE_DROPOFF_AT } })
  @IsDefined(code('REQUEST.FIELD_REQUIRED'))
  @IsNotEmptyObject({}, code('REQUEST.OBJECT_EXPECTED'))
  @ValidateNested()
  @Type(() => PlaceRequest)
  dropoff!: PlaceRequest;

  @ApiProperty({ example: 'CDMR', description: 'ACRISS code' })
  @IsDefined(code('REQUEST.FIELD_REQUIRED'))
  @IsString(code('RESERVATION.CAR_CATEGORY_INVALID'))
  @Matches(/^[A-Z]{4}$/, code('RESERVATION.CAR_CATEGORY_INVALID'))
  car_category!: string;

  @ApiProperty({ type: CustomerRequest })
  @IsDefined(code('REQUEST.FIELD_REQUIRED'))
  @IsNotEmptyObject({}, code('REQUEST.OBJECT_EXPECTED'))
  @ValidateNested()
  @Type(() => CustomerRequest)
  customer!: CustomerRequest;

  @ApiProperty({ type: PriceRequest })
  @IsDefined(code('REQUEST.FIELD_REQUIRED'))
  @IsNotEmptyObject({}, code('REQUEST.OBJECT_EXPECTED'))
  @ValidateNested()
  @Type(() => PriceRequest)
  price!: PriceRequest;
}

@ApiTags('reservations')
@Controller('reservations')
export class CreateReservationController {
  constructor(private readonly handler: CreateReservationHandler) {}

  @Post()
  @RateLimit('create')
  @HttpCode(HttpStatus.ACCEPTED)
  @Idempotent({ claimedByRoute: true })
  @ApiOperation({
    summary: 'Reserve a car',
    description:
      'Validates the offer against the reference data and the office time zones, then records the ' +
      'reservation. 202: payment and supplier booking continue asynchronously; poll `GET` for progress.',
  })
  @ApiAcceptedResponse({ type: ReservationView, description: 'Reserved; `Location` points at the reservation.' })
  @ApiBadRequestResponse({ type: ProblemDetails, description: 'Missing or invalid Idempotency-Key, or malformed JSON.' })
  @ApiUnprocessableEntityResponse({
    type: ProblemDetails,
    description: 'A field or rule is broken (`code` and `errors[].field` say which), or the key was reused with another body.',
  })
  @ApiConflictResponse({ type: ProblemDetails, description: 'A request with this Idempotency-Key is still in flight.' })
  @ApiPayloadTooLargeResponse({ type: ProblemDetails, description: 'Body over 16 KiB.' })
  @ApiServiceUnavailableResponse({ type: ProblemDetails, description: 'A dependency is down; retry after `Retry-After`.' })
  async create(
    @Body() body: CreateReservationRequest,
    @IdempotencyKeyClaim() claim: IdempotencyClaim,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ReservationView> {
    const input = {
      idempotencyKey: claim.key,
      idempotencyFingerprint: claim.requestHash,
      supplierCode: body.supplier_code,
      pickup: { officeCode: body.pickup.office_code, at: body.pickup.at },
      dropoff: { officeCode: body.dropoff.office_code, at: body.dropoff.at },
      carCategory: body.car_category,
      customer: {
        firstName: body.customer.first_name,
        lastName: body.customer.last_name,
        email: body.customer.email,
        phone: body.customer.phone,
      },
      price: { amount: body.price.amount, currency: body.price.currency },
    };
    // The handler claims the key with its first commit and stores this answer with its second.
    const answer = accepted(await this.handler.execute(input, claim.answeredBy(accepted)));
    response.location(answer.headers.location);
    return answer.body;
  }
}

/** The 202 of a create, as sent and as a retry with the key replays it. */
function accepted(reservation: Reservation): StoredResponse & { headers: { location: string }; body: ReservationView } {
  return {
    status: HttpStatus.ACCEPTED,
    headers: { location: `/api/v1/reservations/${reservation.code}` },
    body: toReservationView(reservation),
  };
}
