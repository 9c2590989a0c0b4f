#!/usr/bin/env node
import { main } from './main.js';

// Dawn keeps the event loop alive after its devices are destroyed, so the process exits explicitly.
main(process.argv.slice(2)).then((code) => process.exit(code));
