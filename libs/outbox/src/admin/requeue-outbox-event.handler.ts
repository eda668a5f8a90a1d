import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@app/core';
import { OutboxDrainer } from '../outbox-drainer';
import { OutboxEvent, OutboxStatus } from '../outbox-event.entity';
import { OutboxEventNotFoundError, OutboxEventNotRequeueableError } from '../outbox.errors';
import { OutboxRepository } from '../outbox.repository';

/**
 * Gives a DEAD event fresh attempts. A DONE event is requeued only with `force` (its handler
 * is idempotent, but running it again is the operator's explicit choice).
 */
@Injectable()
export class RequeueOutboxEventHandler {
  private readonly logger = new Logger(RequeueOutboxEventHandler.name);

  constructor(
    private readonly repository: OutboxRepository,
    private readonly drainer: OutboxDrainer,
    private readonly clock: Clock,
  ) {}

  async execute(input: { id: number; force?: boolean; actor: string }): Promise<OutboxEvent> {
    const allowed = input.force ? [OutboxStatus.DEAD, OutboxStatus.DONE] : [OutboxStatus.DEAD];
    if (!(await this.repository.requeue(input.id, this.clock.now(), allowed))) {
      const event = await this.repository.findById(input.id);
      if (!event) throw new OutboxEventNotFoundError(input.id);
      throw new OutboxEventNotRequeueableError(input.id, event.status);
    }
    this.logger.log({ msg: 'outbox event requeued', eventId: input.id, actor: input.actor, force: !!input.force });
    this.drainer.nudge();
    return (await this.repository.findById(input.id))!;
  }
}
