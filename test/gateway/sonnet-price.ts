/** One price entry (USD per million tokens, Sonnet-like) for test and bench configs: one place, so they agree. */
export const SONNET_LIKE_PRICE = {
  effective_from: '2020-01-01',
  input: 3,
  output: 15,
  cache_write_5m: 3.75,
  cache_write_1h: 6,
  cache_read: 0.3,
};
