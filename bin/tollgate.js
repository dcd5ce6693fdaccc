#!/usr/bin/env node
// The `tollgate` command. Tollgate runs from its TypeScript sources, so this registers tsx's
// loader and hands over to the same entry point as `npm start`:
//   tollgate [--config FILE]                           the gateway
//   tollgate import-history FILE [--config FILE]       import a codex-proxy usage history
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
