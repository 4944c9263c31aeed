// check.mjs subscribes to a Strata engine with the two npm clients people
// use, graphql-ws (protocol graphql-transport-ws) and
// subscriptions-transport-ws (the legacy graphql-ws protocol), and checks
// that each receives the initial result and then every change made over
// HTTP, as the same query over HTTP answers it.
//
//   node check.mjs http://127.0.0.1:8080 [--restart]
//
// The engine must serve `make run`'s demo (table genre tracked). The admin
// secret, when the engine has one, comes from HASURA_GRAPHQL_ADMIN_SECRET.
// With --restart, after the changes the script prints "RESTART" and waits
// for a line on stdin (the caller restarts the engine on the same address
// meanwhile): both clients must reconnect by themselves and receive the
// initial result again, then one more change. It exits 0 and prints "OK"
// when every check passed.
import { createClient } from 'graphql-ws';
import stws from 'subscriptions-transport-ws';
import WebSocket from 'ws';
import { createInterface } from 'node:readline';

const { SubscriptionClient } = stws;
const base = process.argv[2];
const restart = process.argv.includes('--restart');
if (!base) {
  console.error('usage: node check.mjs ENGINE_URL [--restart]');
  process.exit(2);
}
const wsURL = base.replace(/^http/, 'ws') + '/v1/graphql';
const headers = {};
if (process.env.HASURA_GRAPHQL_ADMIN_SECRET) {
  headers['x-hasura-admin-secret'] = process.env.HASURA_GRAPHQL_ADMIN_SECRET;
}
const TIMEOUT_MS = 10000;
const selection = 'genre(order_by: {id: asc}) { id name }';

// post runs a GraphQL operation over HTTP and returns its data.
async function post(query) {
  const res = await fetch(base + '/v1/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  const body = await res.json();
  if (!res.ok || body.errors) {
    throw new Error(`${query}: HTTP ${res.status} ${JSON.stringify(body)}`);
  }
  return body.data;
}

// Inbox collects what one client's subscription receives.
class Inbox {
  constructor(name) {
    this.name = name;
    this.items = [];
    this.waiters = [];
  }
  push(item) {
    const w = this.waiters.shift();
    if (w) w(item);
    else this.items.push(item);
  }
  // next resolves to the next item, or rejects after TIMEOUT_MS.
  next(what) {
    if (this.items.length) return Promise.resolve(this.items.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(done), 1);
        reject(new Error(`${this.name}: no message within ${TIMEOUT_MS} ms (${what})`));
      }, TIMEOUT_MS);
      const done = (item) => {
        clearTimeout(timer);
        resolve(item);
      };
      this.waiters.push(done);
    });
  }
  // expect checks that the next message is data equal to want.
  async expect(want, what) {
    const got = await this.next(what);
    if (got.error) {
      throw new Error(`${this.name}: ${what}: ${JSON.stringify(got.error)}`);
    }
    if (got.errors || JSON.stringify(got.data) !== JSON.stringify(want)) {
      throw new Error(`${this.name}: ${what}:\n  got  ${JSON.stringify(got)}\n  want ${JSON.stringify({ data: want })}`);
    }
    console.log(`${this.name}: ${what}: ok`);
  }
}

const query = `subscription { ${selection} }`;
const modern = new Inbox('graphql-ws');
const legacy = new Inbox('subscriptions-transport-ws');
const connects = { modern: 0, legacy: 0 };

const gqlws = createClient({
  url: wsURL,
  webSocketImpl: WebSocket,
  connectionParams: { headers },
  retryAttempts: 20,
  retryWait: (retries) => new Promise((r) => setTimeout(r, 200 * (retries + 1))),
  on: { connected: () => connects.modern++ },
});
gqlws.subscribe(
  { query },
  {
    next: (r) => modern.push(r),
    error: (e) => modern.push({ error: e instanceof Error ? e.message : e }),
    complete: () => modern.push({ error: 'completed by the server' }),
  },
);

const stClient = new SubscriptionClient(
  wsURL,
  { reconnect: true, reconnectionAttempts: 20, connectionParams: { headers } },
  WebSocket,
);
stClient.onConnected(() => connects.legacy++);
stClient.onReconnected(() => connects.legacy++);
stClient.request({ query }).subscribe({
  next: (r) => legacy.push(r),
  error: (e) => legacy.push({ error: e instanceof Error ? e.message : e }),
  complete: () => legacy.push({ error: 'completed by the server' }),
});

// both expects the next message of both clients to be the HTTP answer.
async function both(what) {
  const want = await post(`query { ${selection} }`);
  await Promise.all([modern.expect(want, what), legacy.expect(want, what)]);
}

const name = `client check ${process.pid}`;
try {
  await both('initial result');
  const { insert_genre_one: row } = await post(`mutation { insert_genre_one(object: {name: "${name}"}) { id } }`);
  await both('after an insert');
  await post(`mutation { update_genre_by_pk(pk_columns: {id: ${row.id}}, _set: {name: "${name} (renamed)"}) { id } }`);
  await both('after an update');
  await post(`mutation { delete_genre_by_pk(id: ${row.id}) { id } }`);
  await both('after a delete');
  if (restart) {
    console.log('RESTART');
    const rl = createInterface({ input: process.stdin });
    await new Promise((resolve) => rl.once('line', resolve));
    rl.close();
    await both('initial result after the engine restarted');
    const { insert_genre_one: again } = await post(`mutation { insert_genre_one(object: {name: "${name}"}) { id } }`);
    await both('after an insert, on the new connection');
    await post(`mutation { delete_genre_by_pk(id: ${again.id}) { id } }`);
    await both('after a delete, on the new connection');
    if (connects.modern < 2 || connects.legacy < 2) {
      throw new Error(`the clients did not reconnect: connections ${JSON.stringify(connects)}`);
    }
  }
  console.log('OK');
} catch (e) {
  console.error('FAIL:', e.message);
  process.exitCode = 1;
}
// Exit even when a failed client left a reconnect timer or socket behind.
await Promise.race([gqlws.dispose(), new Promise((r) => setTimeout(r, 1000))]);
stClient.close();
process.exit();
