import { err, ok, type GpuInfo, type Result } from '@rigmind/protocol';
import { GpuProbe } from '../gpu/gpu-probe.js';

/** Why a worker has no cards: nvidia-smi saw none (serve cpu work), or an asked-for index is not there (refuse). */
export type GpuDetectionCode = 'no_gpus' | 'unknown_gpu';

/** The (real, never simulated) cards a worker will own, or why it has none. */
export type GpuDetection = Result<GpuInfo[], GpuDetectionCode>;

/** Simulated 6 GB cards (the seed's GTX 1060s) for machines without GPUs. */
export function simulatedGpus(indices: readonly number[]): GpuInfo[] {
  return indices.map((index) => ({ index, vram_mb: 6144, name: 'simulated GTX 1060 6GB' }));
}

/**
 * Find the worker's cards with nvidia-smi. `wanted` limits them to those indices (all when undefined).
 * No nvidia-smi is not an error: the worker then serves cpu work only, and says so.
 */
export async function detectGpus(wanted: readonly number[] | undefined, probe = new GpuProbe()): Promise<GpuDetection> {
  const result = await probe.probe();
  if (!result.ok) return err('no_gpus', `${result.code}: ${result.message}`);
  const cards = result.value.samples.map((sample) => ({
    index: sample.index,
    vram_mb: sample.memory_total_mb ?? 0,
    ...(sample.name !== null ? { name: sample.name } : {}),
    ...(sample.uuid !== null ? { uuid: sample.uuid } : {}),
  }));
  if (wanted === undefined) return ok(cards);
  const missing = wanted.filter((index) => !cards.some((card) => card.index === index));
  if (missing.length > 0) {
    return err(
      'unknown_gpu',
      `nvidia-smi shows no GPU ${missing.join(', ')} (it shows ` +
        `${cards.map((card) => card.index).join(', ') || 'none'})`,
    );
  }
  return ok(cards.filter((card) => wanted.includes(card.index)));
}
