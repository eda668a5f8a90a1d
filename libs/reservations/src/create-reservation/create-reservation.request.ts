import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsEmail, IsInt, IsNotEmptyObject, IsString, Matches, Max, Min, ValidateNested } from 'class-validator';
import { DateTime } from 'luxon';
import { CheckedBy, MaxCodePoints, RequestCheck } from '@app/core';
import { MAXIMUM_CHARGE_AMOUNT } from '../domain/chargeable-amount';
import { LOCAL_TIME_PATTERN } from '../domain/rental-period';
import { checkShape, rule, Shape } from './create-reservation.request-check';

/**
 * The body of `POST /reservations`. The decorators document it (Swagger) and state its rules;
 * the pipe checks it by hand (`create-reservation.request-check.ts`) with the same patterns,
 * options and codes, below, so that both cannot drift (the spec compares them).
 */

const code = (value: string) => ({ context: { code: value } });

/**
 * Dates of the documented example, 30 and 34 days after the server started, so that "Try it
 * out" in Swagger UI always sends a valid reservation.
 */
const exampleDay = (daysAhead: number) => DateTime.utc().plus({ days: daysAhead }).toFormat("yyyy-MM-dd'T'10:00");
const EXAMPLE_PICKUP_AT = exampleDay(30);
const EXAMPLE_DROPOFF_AT = exampleDay(34);

const SUPPLIER_CODE_PATTERN = /^[A-Z0-9_]{2,16}$/;
const OFFICE_CODE_PATTERN = /^[A-Z0-9-]{2,16}$/;
const CAR_CATEGORY_PATTERN = /^[A-Z]{4}$/;
const PHONE_PATTERN = /^\+[1-9]\d{6,14}$/;
const CURRENCY_PATTERN = /^[A-Z]{3}$/;
const NAME_PATTERN = /\S/;
/** C0 and C1 control characters (NUL, BEL, ESC, …): no name has them, and XML 1.0 cannot carry them to a supplier. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f-\u009f]*$/;
const NAME_MAX_CODE_POINTS = 100;
const EMAIL_MAX_CODE_POINTS = 254;
const MINIMUM_AMOUNT = 1;
const EMAIL_OPTIONS = {};
const NOT_EMPTY_OBJECT_OPTIONS = {};

const FIELD_REQUIRED = code('REQUEST.FIELD_REQUIRED');
const OBJECT_EXPECTED = code('REQUEST.OBJECT_EXPECTED');
const SUPPLIER_CODE_INVALID = code('RESERVATION.SUPPLIER_CODE_INVALID');
const OFFICE_CODE_INVALID = code('RESERVATION.OFFICE_CODE_INVALID');
const CAR_CATEGORY_INVALID = code('RESERVATION.CAR_CATEGORY_INVALID');
const LOCAL_TIME_INVALID = code('RESERVATION.LOCAL_TIME_FORMAT');
const LOCAL_TIME_FORMAT = { ...LOCAL_TIME_INVALID, message: '$property must look like 2027-03-01T10:00' };
const NAME_INVALID = code('CUSTOMER.NAME_INVALID');
const NAME_BLANK = { ...NAME_INVALID, message: '$property must not be blank' };
const NAME_WITH_CONTROL_CHARACTERS = { ...NAME_INVALID, message: '$property must not contain control characters' };
const NAME_TOO_LONG = code('CUSTOMER.NAME_TOO_LONG');
const EMAIL_INVALID = code('CUSTOMER.EMAIL_INVALID');
const PHONE_INVALID = code('CUSTOMER.PHONE_INVALID');
const PHONE_FORMAT = { ...PHONE_INVALID, message: '$property must be E.164, like +34600111222' };
const AMOUNT_INVALID = code('PRICE.AMOUNT_INVALID');
const AMOUNT_TOO_LARGE = code('PRICE.AMOUNT_TOO_LARGE');
const CURRENCY_INVALID = code('PRICE.CURRENCY_INVALID');
const CURRENCY_FORMAT = { ...CURRENCY_INVALID, message: '$property must be an ISO 4217 code like EUR' };

export class PlaceRequest {
  @ApiProperty({ example: 'MAD-T4' })
  @IsDefined(FIELD_REQUIRED)
  @IsString(OFFICE_CODE_INVALID)
  @Matches(OFFICE_CODE_PATTERN, OFFICE_CODE_INVALID)
  office_code!: string;

  @ApiProperty({ example: EXAMPLE_PICKUP_AT, description: 'Local wall-clock time of the office, to the minute, no offset' })
  @IsDefined(FIELD_REQUIRED)
  @IsString(LOCAL_TIME_INVALID)
  @Matches(LOCAL_TIME_PATTERN, LOCAL_TIME_FORMAT)
  at!: string;
}

export class CustomerRequest {
  @ApiProperty({ example: 'Ana', maxLength: NAME_MAX_CODE_POINTS })
  @IsDefined(FIELD_REQUIRED)
  @IsString(NAME_INVALID)
  @MaxCodePoints(NAME_MAX_CODE_POINTS, NAME_TOO_LONG)
  @Matches(NAME_PATTERN, NAME_BLANK)
  @Matches(NO_CONTROL_CHARACTERS, NAME_WITH_CONTROL_CHARACTERS)
  first_name!: string;

  @ApiProperty({ example: 'Pérez', maxLength: NAME_MAX_CODE_POINTS })
  @IsDefined(FIELD_REQUIRED)
  @IsString(NAME_INVALID)
  @MaxCodePoints(NAME_MAX_CODE_POINTS, NAME_TOO_LONG)
  @Matches(NAME_PATTERN, NAME_BLANK)
  @Matches(NO_CONTROL_CHARACTERS, NAME_WITH_CONTROL_CHARACTERS)
  last_name!: string;

  @ApiProperty({ example: 'ana@example.com', maxLength: EMAIL_MAX_CODE_POINTS })
  @IsDefined(FIELD_REQUIRED)
  @IsString(EMAIL_INVALID)
  @MaxCodePoints(EMAIL_MAX_CODE_POINTS, EMAIL_INVALID)
  @IsEmail(EMAIL_OPTIONS, EMAIL_INVALID)
  email!: string;

  @ApiProperty({ example: '+34600111222', description: 'E.164' })
  @IsDefined(FIELD_REQUIRED)
  @IsString(PHONE_INVALID)
  @Matches(PHONE_PATTERN, PHONE_FORMAT)
  phone!: string;
}

export class PriceRequest {
  @ApiProperty({
    example: 18950,
    description:
      'Positive integer in minor units (cents), one Stripe can charge: at least its minimum for the currency ' +
      '(EUR 50, GBP 30, …), a multiple of 10 for three-decimal currencies and of 100 for ISK and UGX',
    minimum: MINIMUM_AMOUNT,
    maximum: MAXIMUM_CHARGE_AMOUNT,
  })
  @IsDefined(FIELD_REQUIRED)
  // Checked bottom-up, first failure only: "18950" is not an integer rather than too large.
  @Max(MAXIMUM_CHARGE_AMOUNT, AMOUNT_TOO_LARGE)
  @Min(MINIMUM_AMOUNT, AMOUNT_INVALID)
  @IsInt(AMOUNT_INVALID)
  amount!: number;

  @ApiProperty({ example: 'EUR', description: 'ISO 4217, upper case' })
  @IsDefined(FIELD_REQUIRED)
  @IsString(CURRENCY_INVALID)
  @Matches(CURRENCY_PATTERN, CURRENCY_FORMAT)
  currency!: string;
}

@CheckedBy(checkCreateReservationRequest)
export class CreateReservationRequest {
  @ApiProperty({ example: 'HERTZ' })
  @IsDefined(FIELD_REQUIRED)
  @IsString(SUPPLIER_CODE_INVALID)
  @Matches(SUPPLIER_CODE_PATTERN, SUPPLIER_CODE_INVALID)
  supplier_code!: string;

  @ApiProperty({ type: PlaceRequest })
  @IsDefined(FIELD_REQUIRED)
  @IsNotEmptyObject(NOT_EMPTY_OBJECT_OPTIONS, OBJECT_EXPECTED)
  @ValidateNested()
  @Type(() => PlaceRequest)
  pickup!: PlaceRequest;

  @ApiProperty({ type: PlaceRequest, example: { office_code: 'BCN-T1', at: EXAMPLE_DROPOFF_AT } })
  @IsDefined(FIELD_REQUIRED)
  @IsNotEmptyObject(NOT_EMPTY_OBJECT_OPTIONS, OBJECT_EXPECTED)
  @ValidateNested()
  @Type(() => PlaceRequest)
  dropoff!: PlaceRequest;

  @ApiProperty({ example: 'CDMR', description: 'ACRISS code' })
  @IsDefined(FIELD_REQUIRED)
  @IsString(CAR_CATEGORY_INVALID)
  @Matches(CAR_CATEGORY_PATTERN, CAR_CATEGORY_INVALID)
  car_category!: string;

  @ApiProperty({ type: CustomerRequest })
  @IsDefined(FIELD_REQUIRED)
  @IsNotEmptyObject(NOT_EMPTY_OBJECT_OPTIONS, OBJECT_EXPECTED)
  @ValidateNested()
  @Type(() => CustomerRequest)
  customer!: CustomerRequest;

  @ApiProperty({ type: PriceRequest })
  @IsDefined(FIELD_REQUIRED)
  @IsNotEmptyObject(NOT_EMPTY_OBJECT_OPTIONS, OBJECT_EXPECTED)
  @ValidateNested()
  @Type(() => PriceRequest)
  price!: PriceRequest;
}

/*
 * The decorators above as the hand check runs them: `IsDefined` first, then bottom-up, the
 * order class-validator registers and runs them in.
 */

const required = rule.IsDefined(FIELD_REQUIRED);
const nestedObject = rule.IsNotEmptyObject(NOT_EMPTY_OBJECT_OPTIONS, OBJECT_EXPECTED);
const name = [
  required,
  rule.Matches(NO_CONTROL_CHARACTERS, NAME_WITH_CONTROL_CHARACTERS),
  rule.Matches(NAME_PATTERN, NAME_BLANK),
  rule.MaxCodePoints(NAME_MAX_CODE_POINTS, NAME_TOO_LONG),
  rule.IsString(NAME_INVALID),
];

const PLACE: Shape<PlaceRequest> = {
  type: PlaceRequest,
  fields: {
    office_code: { rules: [required, rule.Matches(OFFICE_CODE_PATTERN, OFFICE_CODE_INVALID), rule.IsString(OFFICE_CODE_INVALID)] },
    at: { rules: [required, rule.Matches(LOCAL_TIME_PATTERN, LOCAL_TIME_FORMAT), rule.IsString(LOCAL_TIME_INVALID)] },
  },
};

const CUSTOMER: Shape<CustomerRequest> = {
  type: CustomerRequest,
  fields: {
    first_name: { rules: name },
    last_name: { rules: name },
    email: {
      rules: [required, rule.IsEmail(EMAIL_OPTIONS, EMAIL_INVALID), rule.MaxCodePoints(EMAIL_MAX_CODE_POINTS, EMAIL_INVALID), rule.IsString(EMAIL_INVALID)],
    },
    phone: { rules: [required, rule.Matches(PHONE_PATTERN, PHONE_FORMAT), rule.IsString(PHONE_INVALID)] },
  },
};

const PRICE: Shape<PriceRequest> = {
  type: PriceRequest,
  fields: {
    amount: {
      rules: [required, rule.IsInt(AMOUNT_INVALID), rule.Min(MINIMUM_AMOUNT, AMOUNT_INVALID), rule.Max(MAXIMUM_CHARGE_AMOUNT, AMOUNT_TOO_LARGE)],
    },
    currency: { rules: [required, rule.Matches(CURRENCY_PATTERN, CURRENCY_FORMAT), rule.IsString(CURRENCY_INVALID)] },
  },
};

const CREATE_RESERVATION: Shape<CreateReservationRequest> = {
  type: CreateReservationRequest,
  fields: {
    supplier_code: { rules: [required, rule.Matches(SUPPLIER_CODE_PATTERN, SUPPLIER_CODE_INVALID), rule.IsString(SUPPLIER_CODE_INVALID)] },
    pickup: { rules: [required, nestedObject], nested: PLACE },
    dropoff: { rules: [required, nestedObject], nested: PLACE },
    car_category: { rules: [required, rule.Matches(CAR_CATEGORY_PATTERN, CAR_CATEGORY_INVALID), rule.IsString(CAR_CATEGORY_INVALID)] },
    customer: { rules: [required, nestedObject], nested: CUSTOMER },
    price: { rules: [required, nestedObject], nested: PRICE },
  },
};

/** Declared (hoisted) here for `@CheckedBy` above; it runs once the shapes exist. */
function checkCreateReservationRequest(...[value, fail]: Parameters<RequestCheck<CreateReservationRequest>>): CreateReservationRequest {
  return checkShape(CREATE_RESERVATION, value, fail);
}
