/** Version of the wire protocol; a frame with another version is refused, never guessed at. */
export const PROTOCOL_VERSION = 1 as const;

/** Largest frame the brain or a worker will parse (bytes); larger ones are refused before JSON.parse. */
export const MAX_FRAME_BYTES = 1024 * 1024;
