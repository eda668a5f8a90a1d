import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** What a receipt says of the supplier: booked, still pending, or unable to book (the hold was released). */
export type SupplierStatus = 'confirmed' | 'pending' | 'released';

/** What a receipt says of the money: taken, held on the card until the supplier confirms, or not taken at all. */
export type PaymentStatus = 'charged' | 'held' | 'not_charged';

/** What a receipt is about, apart from the reservation: its number, version, date and supplier status. */
export interface ReceiptHeading {
  number: string;
  version: number;
  issuedAt: Date;
  status: SupplierStatus;
}

/** What a receipt says, frozen when it is issued (SPEC §7). */
export interface ReceiptContent {
  number: string;
  version: number;
  issued_at: string;
  /** The company issuing it, as configured when it was issued. */
  issuer: ReceiptIssuer;
  reservation_code: string;
  customer: { first_name: string; last_name: string; email: string };
  supplier: { code: string; name: string };
  pickup: ReceiptPlace;
  dropoff: ReceiptPlace;
  car_category: { code: string; description: string };
  price: { amount: number; currency: string; formatted: string };
  payment_reference: string | null;
  /** Absent from receipts issued before cards were held, which were all charged: read it with `paymentStatusOf`. */
  payment_status?: PaymentStatus;
  supplier_status: SupplierStatus;
  supplier_confirmation: string | null;
  /** Shown instead of a confirmation number while the supplier has not confirmed. */
  supplier_note: string | null;
}

export interface ReceiptIssuer {
  name: string;
  address: string[];
  support_email: string;
}

export interface ReceiptPlace {
  office_code: string;
  office_name: string;
  city: string;
  /** Wall-clock time in the office's time zone. */
  at: string;
  time_zone: string;
}

/** One version of a reservation's receipt; (reservation, version) and the number are unique. */
@Entity({ name: 'receipts' })
@Unique('UQ_receipts_reservation_version', ['reservationCode', 'version'])
@Unique('UQ_receipts_number', ['number'])
export class Receipt {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'reservation_code', type: 'varchar', length: 8 })
  reservationCode!: string;

  @Column({ type: 'int' })
  version!: number;

  @Column({ type: 'varchar', length: 32 })
  number!: string;

  @Column({ name: 'supplier_status', type: 'varchar', length: 16 })
  supplierStatus!: SupplierStatus;

  @Column({ type: 'text' })
  content!: string;

  @Column({ name: 'issued_at', type: 'datetime', precision: 3 })
  issuedAt!: Date;

  /** Set while one handler is sending its e-mail: no other handler sends it until it passes. */
  @Column({ name: 'email_claimed_until', type: 'datetime', precision: 3, nullable: true })
  emailClaimedUntil!: Date | null;

  /** When the mail server accepted this version's e-mail (or the `.eml` file was written). */
  @Column({ name: 'emailed_at', type: 'datetime', precision: 3, nullable: true })
  emailedAt!: Date | null;

  @Column({ name: 'email_message_id', type: 'varchar', length: 255, nullable: true })
  emailMessageId!: string | null;
}
