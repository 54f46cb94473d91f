/** Process entry point: run the CLI with this process's arguments and set its exit code. */
import { main } from "./main.js";

process.exitCode = await main(process.argv);
