/** Raised in the transaction that issues a receipt version: mail it, PDF attached, once. */
export const SEND_RECEIPT_EMAIL = 'SEND_RECEIPT_EMAIL';
