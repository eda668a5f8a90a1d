import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock, EntitySql } from '@app/core';
import { Reservation } from '@app/reservations';
import { maskPersonalData } from './masking';
import { SupplierCallRecord } from './supplier-booking.client';
import { ReservationSupplierRequest } from './supplier-request.entity';

// Hand-written INSERT: a booking run writes a row per call in the hot transaction.
const requestSql = new EntitySql(ReservationSupplierRequest);

/** `reservation_supplier_requests`: every call of a booking run, the customer's personal data masked. */
@Injectable()
export class SupplierRequestsRepository {
  constructor(private readonly clock: Clock) {}

  /** Writes the calls of run `attempt`, in the caller's transaction. */
  async record(manager: EntityManager, reservation: Reservation, attempt: number, calls: readonly SupplierCallRecord[]): Promise<void> {
    const personal = [
      reservation.customerFirstName,
      reservation.customerLastName,
      `${reservation.customerFirstName} ${reservation.customerLastName}`,
      reservation.customerEmail,
      reservation.customerPhone,
    ];
    const createdAt = this.clock.now();
    for (const [index, call] of calls.entries()) {
      await requestSql.insert(manager, {
        reservationCode: reservation.code,
        supplierCode: reservation.supplierCode,
        attempt,
        callIndex: index + 1,
        operation: call.operation,
        requestBody: maskPersonalData(call.exchange?.requestBody ?? null, personal),
        responseStatus: call.exchange?.responseStatus ?? null,
        responseBody: maskPersonalData(call.exchange?.responseBody ?? null, personal),
        outcome: call.outcome,
        error: call.error ? maskPersonalData(call.error, personal)!.slice(0, 500) : null,
        latencyMs: call.latencyMs,
        createdAt,
      });
    }
  }
}
