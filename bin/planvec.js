#!/usr/bin/env node
// The installed command. `npm ci` builds dist/ through the `prepare` script.
import "../dist/cli/run.js";
