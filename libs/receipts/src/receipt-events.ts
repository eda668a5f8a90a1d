/** Raised for each receipt version issued; its handler (e-mail) ships with the rest of the receipts issue. */
export const SEND_RECEIPT_EMAIL = 'SEND_RECEIPT_EMAIL';
