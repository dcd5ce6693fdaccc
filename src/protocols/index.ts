import { anthropicProtocol } from './anthropic/protocol.js';
import { geminiProtocol } from './gemini/protocol.js';
import { openAiProtocol } from './openai/protocol.js';
import type { Protocol, ProtocolName } from './protocol.js';

/** Every protocol Tollgate speaks, by the name an upstream's `protocol` uses. */
export const PROTOCOLS: Readonly<Record<ProtocolName, Protocol>> = {
  openai: openAiProtocol,
  anthropic: anthropicProtocol,
  gemini: geminiProtocol,
};
