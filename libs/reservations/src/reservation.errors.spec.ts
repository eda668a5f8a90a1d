import { ReservationChangedConcurrentlyError, retryOnConcurrentChange } from './reservation.errors';

describe('retryOnConcurrentChange', () => {
  it('runs again after a lost race, and returns the first success', async () => {
    let runs = 0;
    const result = await retryOnConcurrentChange(async () => {
      if (++runs < 3) throw new ReservationChangedConcurrentlyError('K7M2Q9XD');
      return 'won';
    });
    expect(result).toBe('won');
    expect(runs).toBe(3);
  });

  it('gives up after the given number of lost races', async () => {
    let runs = 0;
    const losing = () => {
      runs++;
      return Promise.reject(new ReservationChangedConcurrentlyError('K7M2Q9XD'));
    };
    await expect(retryOnConcurrentChange(losing, 4)).rejects.toBeInstanceOf(ReservationChangedConcurrentlyError);
    expect(runs).toBe(4);
  });

  it('never retries another error', async () => {
    let runs = 0;
    const failing = () => {
      runs++;
      return Promise.reject(new Error('database down'));
    };
    await expect(retryOnConcurrentChange(failing)).rejects.toThrow('database down');
    expect(runs).toBe(1);
  });
});
