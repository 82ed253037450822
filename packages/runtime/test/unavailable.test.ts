import { unavailableService } from '../src/unavailable';

/** What pg and ioredis actually throw when their server is gone, and what they throw otherwise. */
describe('telling an outage from a bug', () => {
  const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });

  it.each([
    [pgError('57P01', 'terminating connection due to unexpected postmaster exit'), 'PostgreSQL'],
    [pgError('57P03', 'the database system is starting up'), 'PostgreSQL'],
    [pgError('08006', 'connection failure'), 'PostgreSQL'],
    [new Error('Connection terminated unexpectedly'), 'PostgreSQL'],
    [new Error('Client has encountered a connection error and is not queryable'), 'PostgreSQL'],
    [new Error('timeout exceeded when trying to connect'), 'PostgreSQL'],
    [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
        code: 'ECONNREFUSED',
        backingService: 'PostgreSQL',
      }),
      'PostgreSQL',
    ],
    [new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'Redis'],
    [new Error('Connection is closed.'), 'Redis'],
    [
      Object.assign(new Error('Reached the max retries per request limit (which is 1).'), {
        name: 'MaxRetriesPerRequestError',
      }),
      'Redis',
    ],
    [new Error('LOADING Redis is loading the dataset in memory'), 'Redis'],
    [new Error("READONLY You can't write against a read only replica."), 'Redis'],
    [Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:80'), { code: 'ECONNREFUSED' }), 'a backing service'],
    [new Error('a wrapper', { cause: new Error('Connection terminated unexpectedly') }), 'PostgreSQL'],
  ])('%s: %s is unavailable', (err, service) => {
    expect(unavailableService(err)).toBe(service);
  });

  it.each([
    pgError('23505', 'duplicate key value violates unique constraint'),
    pgError('42P01', 'relation "nope" does not exist'),
    pgError('40001', 'could not serialize access'),
    new Error('ERR Error running script: attempt to perform arithmetic on a nil value'),
    new TypeError("Cannot read properties of undefined (reading 'x')"),
    null,
    'a string',
  ])('%s is not an outage', (err) => {
    expect(unavailableService(err)).toBeUndefined();
  });
});
