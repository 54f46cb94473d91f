/** Create an API key in a data dir and print it (used by the service peer check). */
import { join } from "node:path";
import { ApiKeyStore } from "../../src/managers/api-keys.js";

const [dataDir, scope] = process.argv.slice(2);
if (!dataDir || !scope) {
  process.stderr.write("usage: make-key.ts DATA_DIR SCOPE\n");
  process.exit(2);
}
const keys = ApiKeyStore.open(join(dataDir, "service.db"));
process.stdout.write(`${keys.create([scope]).key}\n`);
keys.close();
