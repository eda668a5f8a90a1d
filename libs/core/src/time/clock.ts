import { Injectable } from '@nestjs/common';

/** The clock is a port so that rules about "now" can be tested at any instant. */
export abstract class Clock {
  abstract now(): Date;
}

@Injectable()
export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
