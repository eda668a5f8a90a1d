import { ChangedConcurrentlyError, isLostRace, LOST_RACE_RETRIES, retryLostRaces } from './lost-race';

class RowChanged extends ChangedConcurrentlyError {
  readonly code = 'TEST.CHANGED_CONCURRENTLY';
  constructor() {
    super('changed by someone else');
  }
}

const deadlock = () => Object.assign(new Error('Deadlock found when trying to get lock'), { code: 'ER_LOCK_DEADLOCK' });

describe('retryLostRaces', () => {
  it('runs again after a lost optimistic race or a deadlock, and returns the first success', async () => {
    const losses = [new RowChanged(), deadlock()];
    let runs = 0;
    const result = await retryLostRaces.execute(async () => {
      runs++;
      const loss = losses.shift();
      if (loss) throw loss;
      return 'won';
    });
    expect(result).toBe('won');
    expect(runs).toBe(3);
  });

  it('gives the last loss to the caller after its retries', async () => {
    let runs = 0;
    const losing = () => {
      runs++;
      return Promise.reject(new RowChanged());
    };
    await expect(retryLostRaces.execute(losing)).rejects.toBeInstanceOf(RowChanged);
    expect(runs).toBe(LOST_RACE_RETRIES + 1);
  });

  it('never retries another error', async () => {
    let runs = 0;
    const failing = () => {
      runs++;
      return Promise.reject(Object.assign(new Error('duplicate'), { code: 'ER_DUP_ENTRY' }));
    };
    await expect(retryLostRaces.execute(failing)).rejects.toThrow('duplicate');
    expect(runs).toBe(1);
  });

  it('tells lost races from other failures', () => {
    expect(isLostRace(new RowChanged())).toBe(true);
    expect(isLostRace(deadlock())).toBe(true);
    expect(isLostRace({ driverError: { code: 'ER_LOCK_WAIT_TIMEOUT' } })).toBe(true);
    expect(isLostRace(new Error('ECONNREFUSED'))).toBe(false);
  });
});
