import { z } from 'zod';

/** A ZeroMQ endpoint: tcp, ipc or inproc. */
export const EndpointSchema = z
  .string()
  .regex(/^(tcp|ipc|inproc):\/\/.+/, { error: 'an endpoint looks like tcp://127.0.0.1:7700' });

/** The rig's config.json under the rig home. Every field has a default, so an empty file is a working rig. */
export const RigConfigSchema = z.strictObject({
  brain: z
    .strictObject({
      router: EndpointSchema.default('tcp://127.0.0.1:7700'),
      pub: EndpointSchema.default('tcp://127.0.0.1:7701'),
    })
    .prefault({}),
  heartbeat_ms: z.int().min(50).max(60_000).default(1_000),
  /** A peer silent for this many heartbeat intervals is dead (Paranoid Pirate). */
  heartbeat_liveness: z.int().min(2).max(20).default(3),
  /**
   * Times a task may lose its worker (the worker died or came back without it) before the task fails. A lost
   * lease is not a failed attempt and does not use up max_retries, but a task that kills its worker every time
   * must not go round forever.
   */
  max_lost_leases: z.int().min(0).max(100).default(3),
  retry: z
    .strictObject({ base_ms: z.int().min(0).default(2_000), cap_ms: z.int().min(0).default(60_000) })
    .prefault({}),
  /**
   * Tasks a worker may hold beyond its slots, queued on the worker, so that it starts the next one the moment a
   * slot frees instead of after a round trip to the brain. Only while the worker's recent tasks are short
   * (under prefetch_below_s): long GPU work gains nothing from it and keeps its placement open. 0 turns it off.
   */
  prefetch: z.int().min(0).max(16).default(2),
  prefetch_below_s: z.number().min(0).default(5),
  /** Aging: a queued task gains one priority point per this many seconds of waiting. */
  aging_s_per_point: z.number().positive().default(60),
  /**
   * Largest frame the brain and workers take (bytes); larger ones are refused with `frame_too_large`, and clients
   * check it before sending. ZeroMQ drops frames over twice this without a word, so nobody should send them.
   */
  max_frame_bytes: z
    .int()
    .min(1024)
    .max(256 * 1024 * 1024)
    .default(16 * 1024 * 1024),
  /**
   * A chunked plan upload that gets no chunk for this long is dropped (its client died or gave up): nothing of it
   * was stored, and its memory is freed. A live client sends its next chunk as soon as the last one is answered.
   */
  upload_idle_ms: z.int().min(100).max(3_600_000).default(60_000),
  ollama_url: z.url().default('http://127.0.0.1:11434'),
  /** Model for llm tasks that name none: the seed's worker model. */
  default_llm_model: z.string().min(1).default('qwen2.5:7b'),
  /** What an llm task may read into its prompt, and how sure its structured answer must be. */
  llm: z
    .strictObject({
      /** Largest text input (bytes) inserted into a prompt; a larger one fails the task with input_too_large. */
      max_input_bytes: z
        .int()
        .min(1)
        .default(1024 * 1024),
      /** Largest image (bytes) sent to a vision model; a larger one fails the task with input_too_large. */
      max_image_bytes: z
        .int()
        .min(1)
        .default(20 * 1024 * 1024),
      /** A structured answer less confident than this is escalated, not passed on (the seed's brain uncertainty). */
      confidence_threshold: z.number().min(0).max(1).default(0.6),
    })
    .prefault({}),
  /** `rigmind ask`: the brain's model drafts a plan from a goal and the catalog of what the rig can do. */
  planner: z
    .strictObject({
      /** The brain's model (the seed's Qwen 14B on cards 0 and 3). */
      model: z.string().min(1).default('qwen2.5:14b'),
      /** Where that model is served; the rig's ollama_url when absent. */
      ollama_url: z.url().optional(),
      /** The catalog file (YAML or JSON), relative to the rig home. */
      catalog: z.string().min(1).default('catalog.yaml'),
      /** Drafts sent back with their validation errors before the planning is escalated. */
      max_repairs: z.int().min(0).max(10).default(2),
      /** Longest wait for one reply of the model (a cold 14B loads in ~2.5 min over PCIe Gen1 x1). */
      timeout_ms: z.int().min(1_000).default(600_000),
    })
    .prefault({}),
  /**
   * The brain's model judging failures the rules cannot classify (retry, fix, escalate or give up). Off by default:
   * it needs the brain's model on an Ollama the brain can reach (ollama_url).
   */
  judge: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** The brain's model (the seed's Qwen 14B). */
      model: z.string().min(1).default('qwen2.5:14b'),
      /** Longest wait for a judgement; past it the rules' default applies. */
      timeout_ms: z.int().min(100).max(600_000).default(60_000),
      /** Judgements per task at most; later failures of the task follow the rules alone. */
      max_per_task: z.int().min(0).max(20).default(2),
      /** Models a fix may switch an llm task to, besides default_llm_model. */
      models: z.array(z.string().min(1)).default([]),
      /** The person's standing approval for a fix that changes a task's command (like `--yes`). */
      allow_command_change: z.boolean().default(false),
    })
    .prefault({}),
  gpu: z
    .strictObject({
      /** How often a worker reads its cards with nvidia-smi. */
      poll_ms: z.int().min(100).default(5_000),
      /** Thermal guard: a card at stop_at_c takes no new work until below resume_below_c; alert at alert_at_c. */
      stop_at_c: z.number().default(83),
      resume_below_c: z.number().default(78),
      alert_at_c: z.number().default(85),
      /** Longest wait for a card's VRAM to clear after an unload (the seed measured 5-10 s). */
      unload_timeout_ms: z.int().min(100).default(60_000),
      /** A card counts as free when nvidia-smi shows at most this much VRAM used. */
      free_vram_mb: z.int().min(0).default(300),
    })
    .prefault({}),
  /** How GPU work is placed on the cards. */
  scheduler: z
    .strictObject({
      /**
       * `swap-aware` (default) plans which card holds which model from the queue, what will soon be ready and
       * switch costs; `naive` is the seed's behaviour: each worker takes the next task of a class it serves.
       */
      policy: z.enum(['swap-aware', 'naive']).default('swap-aware'),
      /**
       * A rig profile (examples/rigs/rig-5x1060.json's format) for model sizes and load times; relative to the rig
       * home.
       */
      rig_profile: z.string().optional(),
    })
    .prefault({}),
  escalation: z
    .strictObject({
      gateway_url: z.url().optional(),
      rig_id: z.string().optional(),
      /** File holding the rig's gateway secret (from `rigmind-gateway rigs add`); relative to the rig home. */
      secret_file: z.string().default('keys/gateway.secret'),
      /** Backoff between tries while the gateway is unreachable. */
      retry_base_ms: z.int().min(0).default(5_000),
      retry_cap_ms: z.int().min(0).default(300_000),
      after_failures: z.int().min(1).default(2),
      on_decline: z.enum(['fail', 'hold']).default('fail'),
    })
    .prefault({}),
});
/** The rig's config. */
export type RigConfig = z.infer<typeof RigConfigSchema>;

/** A model in a rig profile: what it needs and how long it takes to load. */
export const ProfileModelSchema = z.strictObject({
  kind: z.enum(['llm', 'script']),
  gpus: z.int().min(1),
  vram_mb_per_gpu: z.int().min(0),
  load_s: z.number().min(0),
});

/** A rig profile (the format of shared/workloads/rig-5x1060.json): cards, models, timings. */
export const RigProfileSchema = z.strictObject({
  name: z.string(),
  about: z.string().optional(),
  gpus: z.array(
    z.strictObject({
      index: z.int().min(0),
      name: z.string(),
      vram_mb: z.int().min(1),
      power_limit_w: z.number().optional(),
      note: z.string().optional(),
    }),
  ),
  cpu_slots: z.int().min(1),
  brain: z.strictObject({ model: z.string(), gpus: z.array(z.int().min(0)) }).optional(),
  models: z.record(z.string(), ProfileModelSchema),
  unload_s: z.number().min(0),
  vram_headroom_mb: z.int().min(0).default(0),
});
/** A rig profile. */
export type RigProfile = z.infer<typeof RigProfileSchema>;
