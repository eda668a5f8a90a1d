import { randomBytes } from 'node:crypto';

/** 32 symbols without the look-alikes 0/O and 1/I: 5 random bits per character, 40 per code. */
export const RESERVATION_CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
export const RESERVATION_CODE_LENGTH = 8;
export const RESERVATION_CODE_PATTERN = new RegExp(`^[${RESERVATION_CODE_ALPHABET}]{${RESERVATION_CODE_LENGTH}}$`);

/** A cryptographically random code; 32 divides 256, so masking a byte is unbiased. */
export function generateReservationCode(random: (size: number) => Buffer = randomBytes): string {
  const bytes = random(RESERVATION_CODE_LENGTH);
  let code = '';
  for (const byte of bytes) code += RESERVATION_CODE_ALPHABET[byte & 31];
  return code;
}

/** Codes are read over the phone and typed by hand: accept any letter case. */
export function normalizeReservationCode(input: string): string | undefined {
  const code = input.trim().toUpperCase();
  return RESERVATION_CODE_PATTERN.test(code) ? code : undefined;
}
