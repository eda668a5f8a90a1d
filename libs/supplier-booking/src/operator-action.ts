import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, Matches, Min } from 'class-validator';
import { RESERVATION_CODE_PATTERN } from '@app/reservations';

/** The reservation an operator's route acts on. */
export class ReservationCodeParams {
  @ApiProperty({ example: 'K7M2Q9XD', description: 'Reservation code, any letter case' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toUpperCase() : value))
  @Matches(RESERVATION_CODE_PATTERN, { context: { code: 'RESERVATION.CODE_INVALID' } })
  code!: string;
}

/** An operator acts on the version they looked at: a reservation changed since is refused. */
export class OperatorActionBody {
  @ApiProperty({ example: 3, description: 'The `operations.lock_version` you looked at' })
  @IsInt({ context: { code: 'RESERVATION.LOCK_VERSION_INVALID' } })
  @Min(1, { context: { code: 'RESERVATION.LOCK_VERSION_INVALID' } })
  lock_version!: number;
}
