import { Injectable } from '@nestjs/common';
import { OutboxEventHandler, OutboxHandler, OutboxMessage } from '@app/outbox';
import { BOOK_WITH_SUPPLIER } from '@app/payments';
import { BookingEventPayload, CHECK_SUPPLIER_AFTER_REFUND, RETRY_SUPPLIER_BOOKING } from '../booking-events';
import { BookWithSupplierHandler } from './book-with-supplier.handler';

/** The first booking run of a paid reservation. */
@Injectable()
@OutboxHandler(BOOK_WITH_SUPPLIER, { lane: 'bookings' })
export class BookWithSupplierOutboxHandler implements OutboxEventHandler<BookingEventPayload> {
  constructor(private readonly booking: BookWithSupplierHandler) {}

  // Idempotent: a run after the first is stale, and a repeated run (the last one died) looks
  // the booking up by our reference before booking; the supplier is idempotent on it too.
  async handle(message: OutboxMessage<BookingEventPayload>): Promise<void> {
    await this.booking.execute({ reservationCode: message.payload.reservationCode, afterAttempt: 0, lookupFirst: message.attempt > 1 });
  }
}

/** A scheduled retry; stale when another run came after the one that scheduled it. */
@Injectable()
@OutboxHandler(RETRY_SUPPLIER_BOOKING, { lane: 'bookings' })
export class RetrySupplierBookingOutboxHandler implements OutboxEventHandler<BookingEventPayload> {
  constructor(private readonly booking: BookWithSupplierHandler) {}

  // Idempotent: the run count in the payload lets only one run follow a given run.
  async handle(message: OutboxMessage<BookingEventPayload>): Promise<void> {
    await this.booking.execute({
      reservationCode: message.payload.reservationCode,
      afterAttempt: message.payload.afterAttempt ?? 0,
      lookupFirst: true,
    });
  }
}

/** After a refund: does the supplier hold a booking all the same? */
@Injectable()
@OutboxHandler(CHECK_SUPPLIER_AFTER_REFUND, { lane: 'bookings' })
export class CheckSupplierAfterRefundOutboxHandler implements OutboxEventHandler<BookingEventPayload> {
  constructor(private readonly booking: BookWithSupplierHandler) {}

  // Idempotent: a lookup changes nothing at the supplier, and a booking already kept ends it.
  async handle(message: OutboxMessage<BookingEventPayload>): Promise<void> {
    await this.booking.checkAfterRefund(message.payload.reservationCode);
  }
}
