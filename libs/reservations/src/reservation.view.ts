import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Reservation } from './reservation.entity';
import { PAYMENT_PROGRESS_VALUES, ReservationStatus, SUPPLIER_PROGRESS_VALUES } from './domain/reservation-status';

export class ProgressView {
  @ApiProperty({ enum: ['issued'], example: 'issued' }) code!: 'issued';
  @ApiProperty({ enum: PAYMENT_PROGRESS_VALUES, example: 'pending' }) payment!: string;
  @ApiProperty({
    enum: SUPPLIER_PROGRESS_VALUES,
    example: 'pending',
    description: 'retrying: the supplier did not answer and the booking is tried again; rejected: the supplier refused it and an operator acts',
  })
  supplier!: string;
}

export class PlaceView {
  @ApiProperty({ example: 'MAD-T4' }) office_code!: string;
  @ApiProperty({ example: '2027-03-01T10:00', description: "Wall-clock time in the office's time zone" }) at!: string;
  @ApiProperty({ example: 'Europe/Madrid' }) time_zone!: string;
  @ApiProperty({ example: '2027-03-01T09:00:00.000Z', description: 'The same instant in UTC' }) at_utc!: string;
}

export class CustomerView {
  @ApiProperty({ example: 'Ana' }) first_name!: string;
  @ApiProperty({ example: 'Pérez' }) last_name!: string;
  @ApiProperty({ example: 'ana@example.com' }) email!: string;
  @ApiProperty({ example: '+34600111222' }) phone!: string;
}

export class PriceView {
  @ApiProperty({ example: 18950, description: 'Minor units (cents)' }) amount!: number;
  @ApiProperty({ example: 'EUR' }) currency!: string;
}

export class PaymentView {
  @ApiProperty({ example: 'pi_3Q0abc' }) payment_intent_id!: string;
  @ApiPropertyOptional({ example: 'pi_3Q0abc_secret_xyz', nullable: true, description: 'For Stripe.js confirmCardPayment' })
  client_secret!: string | null;
  @ApiPropertyOptional({ example: null, nullable: true, description: "Stripe's message for the last declined attempt" })
  failure_message!: string | null;
}

export class ReservationView {
  @ApiProperty({ example: 'K7M2Q9XD' }) reservation_code!: string;
  @ApiProperty({ enum: ReservationStatus, example: ReservationStatus.CREATED }) status!: ReservationStatus;
  @ApiProperty({ type: ProgressView }) progress!: ProgressView;
  @ApiProperty({ example: 'HERTZ' }) supplier_code!: string;
  @ApiProperty({ type: PlaceView }) pickup!: PlaceView;
  @ApiProperty({ type: PlaceView }) dropoff!: PlaceView;
  @ApiProperty({ example: 'CDMR' }) car_category!: string;
  @ApiProperty({ type: CustomerView }) customer!: CustomerView;
  @ApiProperty({ type: PriceView }) price!: PriceView;
  @ApiPropertyOptional({ type: PaymentView, nullable: true, description: 'Null until the PaymentIntent exists' })
  payment!: PaymentView | null;
  @ApiPropertyOptional({ example: null, nullable: true, description: "The supplier's confirmation number" })
  supplier_confirmation!: string | null;
  @ApiProperty({ example: '2026-11-22T10:00:00.000Z' }) created_at!: string;
  @ApiProperty({ example: '2026-11-22T10:00:00.000Z' }) updated_at!: string;
}

export function toReservationView(reservation: Reservation): ReservationView {
  return {
    reservation_code: reservation.code,
    status: reservation.status,
    progress: reservation.progress,
    supplier_code: reservation.supplierCode,
    pickup: {
      office_code: reservation.pickupOfficeCode,
      at: reservation.pickupLocal,
      time_zone: reservation.pickupTimeZone,
      at_utc: reservation.pickupAt.toISOString(),
    },
    dropoff: {
      office_code: reservation.dropoffOfficeCode,
      at: reservation.dropoffLocal,
      time_zone: reservation.dropoffTimeZone,
      at_utc: reservation.dropoffAt.toISOString(),
    },
    car_category: reservation.carCategoryCode,
    customer: {
      first_name: reservation.customerFirstName,
      last_name: reservation.customerLastName,
      email: reservation.customerEmail,
      phone: reservation.customerPhone,
    },
    price: { amount: reservation.amount, currency: reservation.currency },
    payment: reservation.paymentIntentId
      ? {
          payment_intent_id: reservation.paymentIntentId,
          client_secret: reservation.paymentClientSecret,
          failure_message: reservation.paymentFailureMessage,
        }
      : null,
    supplier_confirmation: reservation.supplierConfirmation,
    created_at: reservation.createdAt.toISOString(),
    updated_at: reservation.updatedAt.toISOString(),
  };
}
