import type { Probe } from './gpu-poller.js';

/**
 * A check for OllamaClient.unload's `vramFreed`: true once every listed card uses at most `maxUsedMb`
 * (the driver keeps a few MiB on an empty 1060; the seed profile's vram_headroom_mb is a sane bound).
 * A failed probe or a card missing from the sample answers false: freed VRAM must be seen, not assumed.
 */
export function vramFreedCheck(probe: Probe, gpuIndices: readonly number[], maxUsedMb: number): () => Promise<boolean> {
  return async () => {
    const result = await probe.probe();
    if (!result.ok) return false;
    return gpuIndices.every((index) => {
      const used = result.value.samples.find((sample) => sample.index === index)?.memory_used_mb;
      return used !== undefined && used !== null && used <= maxUsedMb;
    });
  };
}
