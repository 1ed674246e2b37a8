// How a model's trained parameters sit in one flat float32 vector (weights and gradients in shared memory).

export interface ParamSlot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export interface ParamLayout {
  slots: ParamSlot[];
  /** floats in the flat vector */
  length: number;
}

/** Parameters in the given order (the model's `params` Map order), packed back to back. */
export function paramLayout(params: Iterable<[string, { shape: number[]; size: number }]>): ParamLayout {
  const slots: ParamSlot[] = [];
  let offset = 0;
  for (const [name, t] of params) {
    slots.push({ name, shape: [...t.shape], offset, size: t.size });
    offset += t.size;
  }
  return { slots, length: offset };
}
