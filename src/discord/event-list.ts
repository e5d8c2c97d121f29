import clientError from './events/client-error.js';
import clientWarn from './events/client-warn.js';
import { isEvent, type AnyEvent } from './events/index.js';
import interactionCreate from './events/interaction-create.js';
import messageCreate from './events/message-create.js';
import ready from './events/ready.js';
import shardError from './events/shard-error.js';

export const events: AnyEvent[] = [ready, clientError, clientWarn, shardError, interactionCreate, messageCreate].filter(isEvent);
