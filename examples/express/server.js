// The app as a process: `node server.js` (DATABASE_URL / DB_* and NODE_ENV select the server; NODE_ENV=test
// without a URL runs in memory). The schema is created, or brought up to date, before the first request.
import { createDb } from '@tbp/models';
import { migrate } from '@tbp/models/migrations';
import { createApp } from './app.js';

const db = createDb();
await migrate(db.sequelize);
const server = createApp(db).listen(Number(process.env.PORT ?? 3000), () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});

// Stops taking requests, lets those under way finish, then closes the database so the process can end.
process.on('SIGTERM', () => server.close(() => db.sequelize.close()));
