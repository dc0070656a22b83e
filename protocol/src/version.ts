/** Version of the wire protocol; a frame with another version is refused, never guessed at. */
export const PROTOCOL_VERSION = 1 as const;

/**
 * Largest frame the brain or a worker will parse (bytes); larger ones are refused before JSON.parse. 16 MiB holds a
 * plan of 100,000 tasks (about 10 MB with a typical command each), the largest the plan schema takes.
 */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/**
 * Deepest nesting of objects and arrays a frame may have; deeper frames are refused before JSON.parse. The deepest
 * real message (advice with subtasks and their env) nests 7 levels; 32 leaves room to grow.
 */
export const MAX_FRAME_DEPTH = 32;
