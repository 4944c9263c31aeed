// PostGraphile 5 server for the Strata benchmark harness (test/bench).
// The harness writes this file next to its npm install (bin/peers/postgraphile)
// and runs it with Node 22:
//   node server.mjs            (environment: DATABASE_URL, HOST, PORT, POOL_SIZE)
// It serves /graphql with the Amber preset plus @graphile/pg-aggregates, a
// pool of POOL_SIZE connections, and no GraphiQL, watch mode or explain.
// Requests with `x-hasura-role: customer` run as the PostgreSQL role
// strata_bench_customer with bench.user_id = x-hasura-user-id, so the
// row-level security policies the harness installed filter invoices the way
// Strata's `customer` select permission does.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";

const host = process.env.HOST || "127.0.0.1";
const port = Number(process.env.PORT || 5678);

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset, PgAggregatesPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max: Number(process.env.POOL_SIZE || 10) },
    }),
  ],
  grafserv: { graphqlPath: "/graphql", graphiql: false, watch: false, maxRequestLength: 1 << 20 },
  grafast: {
    explain: false,
    context(requestContext) {
      const req = requestContext.node?.req;
      const role = req?.headers["x-hasura-role"];
      if (role === "customer") {
        return {
          pgSettings: {
            role: "strata_bench_customer",
            "bench.user_id": String(req.headers["x-hasura-user-id"] ?? ""),
          },
        };
      }
      return {};
    },
  },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.once("listening", () => {
  console.log(`postgraphile listening on http://${host}:${port}/graphql`);
});
serv.addTo(server).then(
  () => server.listen(port, host),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
const stop = () => {
  server.close();
  pgl.release().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
