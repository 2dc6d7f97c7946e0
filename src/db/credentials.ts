import type { Sequelize } from 'sequelize';

/**
 * Sequelize keeps the database password in plain, enumerable properties
 * (`options`, `config`, its connection manager's copy and the replication
 * configurations made from it), so `console.log(db)`, or a logging function
 * that prints the options it is given (they hold the model, whose
 * `sequelize` holds the options), prints the password. This makes each of
 * those properties non-enumerable: still read by Sequelize and the driver,
 * left out by `util.inspect` and `JSON.stringify`. It reaches Sequelize's
 * internals (`connectionManager.config`), which is why it lives in this one
 * module; `__tests__/security/credentials.test.ts` fails if they move.
 */
export function hideCredentials(sequelize: Sequelize): void {
  const internals = sequelize as unknown as {
    options?: Holder;
    config?: Holder;
    connectionManager?: { config?: Holder };
  };
  for (const holder of [internals.options, internals.config, internals.connectionManager?.config]) {
    hidePassword(holder);
    const replication = holder?.replication;
    if (replication && typeof replication === 'object') {
      hidePassword(replication.write);
      for (const read of [replication.read].flat()) hidePassword(read);
    }
  }
}

interface Holder {
  password?: unknown;
  replication?: { write?: Holder; read?: Holder | Holder[] } | false;
}

function hidePassword(holder: Holder | undefined): void {
  if (!holder || typeof holder !== 'object') return;
  const descriptor = Object.getOwnPropertyDescriptor(holder, 'password');
  if (descriptor?.enumerable) Object.defineProperty(holder, 'password', { ...descriptor, enumerable: false });
}
